/**
 * The floor for any Node relay on this machine: pgbench -S direct vs through a byte pipe written in Node
 * (one socket each way, data handler writes to the other side, nothing else) vs gatehouse, interleaved.
 * What gatehouse adds over the pipe is its own cost; what the pipe adds over direct is the price of an
 * extra process hop (two wake-ups, two reads, two writes per query). CPU/q is this process's CPU time
 * (user + system, all threads) per transaction while that target ran: steadier than TPS on a shared box.
 *
 * Run: npx tsx bench/pg/relay-floor.ts [--seconds 5] [--clients 1,10] [--modes prepared,simple] [--rounds 3]
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmod, mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { connect, createServer, type AddressInfo } from 'node:net'
import { startEmbeddedPostgres, devModeConfig, type GatehouseConfig } from '../../src/core/config/index.js'
import { createLogger } from '../../src/core/log/index.js'
import { startGateway } from '../../src/core/server/index.js'
import { createIdentityVerifier, mintDevToken } from '../../src/core/identity/index.js'
import { createPolicyStore } from '../../src/core/policy/index.js'
import { createAuditLog } from '../../src/core/audit/index.js'
import { createSqlAnalyzer } from '../../src/protocols/postgres/sql/index.js'
import { createPostgresPlugin } from '../../src/protocols/postgres/index.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '1,10' },
    modes: { type: 'string', default: 'prepared,simple' },
    scale: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' }
  }
})
const PGBENCH = process.env.PGBENCH ?? 'pgbench'
const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-pg-'))
await chmod(dir, 0o755)
const quiet = createLogger({ level: 'warn' })
const cleanups: Array<() => Promise<void>> = []

try {
  const db = await startEmbeddedPostgres({ dataDir: join(dir, 'pg') })
  cleanups.push(async () => { await db.stop() })
  const directEnv = { ...process.env, PGHOST: db.host, PGPORT: String(db.port), PGUSER: db.user, PGPASSWORD: db.password, PGDATABASE: 'postgres', PGSSLMODE: 'disable' }
  const init = spawnSync(PGBENCH, ['-i', '-q', '-s', args.scale as string], { env: directEnv })
  if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr.toString()}`)

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

  const policiesDir = join(dir, 'policies')
  await mkdir(policiesDir)
  await writeFile(join(policiesDir, 'allow-bench.yaml'), 'id: allow-bench\nmatch: { protocol: postgres, target: [bench], identity: { groups: [bench] } }\naction: allow\n')
  process.env.GH_BENCH_PG_PASSWORD = db.password
  const config: GatehouseConfig = {
    ...devModeConfig(dir),
    listeners: [{ name: 'pg', host: '127.0.0.1', port: 0, protocols: ['postgres'], tls: { mode: 'off' }, allowLoopbackPlaintext: true }],
    targets: [{ name: 'bench', protocol: 'postgres', upstream: `postgres://${db.user}@${db.host}:${db.port}/postgres`, passwordEnv: 'GH_BENCH_PG_PASSWORD', upstreamTls: 'disable' }]
  }
  const analyzer = await createSqlAnalyzer()
  const identity = await createIdentityVerifier({ oidc: [], apiKeys: [], devIssuer: true }, { dataDir: dir, log: quiet })
  const audit = await createAuditLog({ sinks: process.env.GH_BENCH_NO_AUDIT === '1' ? [] : [{ type: 'file', path: join(dir, 'audit.log') }], recordSessions: false }, { log: quiet, dataDir: dir })
  const policy = await createPolicyStore({ dir: policiesDir, defaultAction: 'deny', reloadRequiresTests: false, log: quiet, analyzeSql: (t) => analyzer.analyze(t), watch: false })
  const gateway = await startGateway({ config, log: quiet, services: { config, log: quiet, identity, policy, audit }, plugins: [createPostgresPlugin] })
  cleanups.push(async () => { await gateway.close(); await policy.close(); await audit.close() })
  const token = await mintDevToken({ dataDir: dir, sub: 'bench', groups: ['bench'], ttlS: 3600 })
  const gw = gateway.listeners[0]
  const targets = [
    { name: 'direct', env: directEnv },
    { name: 'pipe', env: { ...directEnv, PGHOST: '127.0.0.1', PGPORT: String((pipe.address() as AddressInfo).port) } },
    { name: 'gatehouse', env: { ...directEnv, PGHOST: gw.host, PGPORT: String(gw.port), PGUSER: 'bench', PGPASSWORD: token, PGDATABASE: 'bench' } }
  ]

  const run = async (env: NodeJS.ProcessEnv, mode: string, c: number): Promise<{ tps: number; p50Ms: number; cpuUs: number }> => {
    const cpu0 = process.cpuUsage()
    const logDir = await mkdtemp(join(dir, 'run-'))
    const child = spawn(PGBENCH, ['-S', '-n', '-M', mode, '-c', String(c), '-j', String(Math.min(c, 2)), '-T', args.seconds as string, '-l', '--log-prefix', join(logDir, 'tx')], { env, cwd: logDir })
    let out = ''
    child.stdout.on('data', (b: Buffer) => { out += b.toString() })
    child.stderr.on('data', (b: Buffer) => { out += b.toString() })
    const status = await new Promise<number | null>((resolve) => { child.once('close', resolve) })
    const cpu = process.cpuUsage(cpu0)
    const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1])
    if (status !== 0 || !Number.isFinite(tps)) throw new Error(`pgbench failed (exit ${status}): ${out}`)
    const latencies: number[] = []
    for (const f of await readdir(logDir)) {
      for (const line of (await readFile(join(logDir, f), 'utf8')).split('\n')) {
        const us = Number(line.split(' ')[2])
        if (Number.isFinite(us) && line !== '') latencies.push(us)
      }
    }
    latencies.sort((a, b) => a - b)
    await rm(logDir, { recursive: true, force: true })
    return { tps, p50Ms: latencies[Math.floor(latencies.length / 2)] / 1000, cpuUs: (cpu.user + cpu.system) / latencies.length }
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
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  for (const fn of cleanups.reverse()) await fn().catch(() => {})
  await rm(dir, { recursive: true, force: true })
}
