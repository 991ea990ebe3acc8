/**
 * The floor for any Node relay on this machine: pgbench -S direct vs through a byte pipe written in Node
 * (one socket each way, data handler writes to the other side, nothing else) vs gatehouse, interleaved.
 * What gatehouse adds over the pipe is its own cost; what the pipe adds over direct is the price of an
 * extra process hop (two wake-ups, two reads, two writes per query). CPU/q is this process's CPU time
 * (user + system, all threads) per transaction while that target ran: steadier than TPS on a shared box.
 *
 * Run: npx tsx bench/pg/relay-floor.ts [--seconds 5] [--clients 1,10] [--modes prepared,simple] [--rounds 3]
 */
import { parseArgs } from 'node:util'
import { connect, createServer, type AddressInfo } from 'node:net'
import { percentile, pgbenchSelect, startBenchGatehouse, withPgbenchDatabase } from './bench-gatehouse.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '1,10' },
    modes: { type: 'string', default: 'prepared,simple' },
    scale: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' }
  }
})

await withPgbenchDatabase(args.scale as string, async (bench) => {
  const { dir, cleanups, db, directEnv } = bench
  const pipe = createServer({ noDelay: true }, (client) => {
    const up = connect({ host: db.host, port: db.port, noDelay: true })
    client.on('data', (c: Buffer) => { if (!up.write(c)) { client.pause(); up.once('drain', () => client.resume()) } })
    up.on('data', (c: Buffer) => { if (!client.write(c)) { up.pause(); client.once('drain', () => up.resume()) } })
    client.on('close', () => up.destroy())
    up.on('close', () => client.destroy())
    client.on('error', () => {})
    up.on('error', () => {})
  })
  await new Promise<void>((resolve) => pipe.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => { pipe.close() })

  const { env: gatehouseEnv } = await startBenchGatehouse(bench, db, directEnv)
  const targets = [
    { name: 'direct', env: directEnv },
    { name: 'pipe', env: { ...directEnv, PGHOST: '127.0.0.1', PGPORT: String((pipe.address() as AddressInfo).port) } },
    { name: 'gatehouse', env: gatehouseEnv }
  ]

  const run = async (env: NodeJS.ProcessEnv, mode: string, c: number): Promise<{ tps: number; p50Ms: number; cpuUs: number }> => {
    const cpu0 = process.cpuUsage()
    const { tps, latenciesUs } = await pgbenchSelect(env, { dir, mode, clients: c, seconds: args.seconds as string })
    const cpu = process.cpuUsage(cpu0)
    return { tps, p50Ms: percentile(latenciesUs, 0.5) / 1000, cpuUs: (cpu.user + cpu.system) / latenciesUs.length }
  }

  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  console.log(`${'mode'.padEnd(9)} ${'c'.padStart(3)}  ${targets.map((t) => `${t.name} tps`.padStart(15) + 'p50 ms'.padStart(8)).join('')}  pipe/direct  gh/direct  pipe +p50  gh +p50  pipe CPU/q  gh CPU/q   (medians of ${args.rounds as string} interleaved rounds)`)
  for (const mode of (args.modes as string).split(',')) {
    for (const c of (args.clients as string).split(',').map(Number)) {
      const results = new Map<string, Array<{ tps: number; p50Ms: number; cpuUs: number }>>(targets.map((t) => [t.name, []]))
      for (let r = 0; r < Number(args.rounds); r++) for (const t of targets) results.get(t.name)?.push(await run(t.env, mode, c))
      const tps = (n: string): number => median((results.get(n) ?? []).map((x) => x.tps))
      const p50 = (n: string): number => median((results.get(n) ?? []).map((x) => x.p50Ms))
      const cpuUs = (n: string): number => median((results.get(n) ?? []).map((x) => x.cpuUs))
      console.log(`${mode.padEnd(9)} ${String(c).padStart(3)}  ${targets.map((t) => tps(t.name).toFixed(0).padStart(15) + p50(t.name).toFixed(3).padStart(8)).join('')}  ${(tps('pipe') / tps('direct')).toFixed(2).padStart(11)}  ${(tps('gatehouse') / tps('direct')).toFixed(2).padStart(9)}  ${(p50('pipe') - p50('direct')).toFixed(3).padStart(9)}  ${(p50('gatehouse') - p50('direct')).toFixed(3).padStart(7)}  ${cpuUs('pipe').toFixed(0).padStart(7)} µs  ${cpuUs('gatehouse').toFixed(0).padStart(6)} µs`)
    }
  }
})
