/**
 * pgbench -S straight to PostgreSQL vs through gatehouse (identity, policy and audit on) vs PgBouncer
 * (session mode, when the `pgbouncer` binary exists), interleaved in one run so machine noise hits all
 * three alike. For each protocol mode (simple, extended, prepared) and client count it prints TPS,
 * p50 latency, gatehouse's share of direct TPS and the latency it adds.
 *
 * Run: npx tsx bench/pg/pgbench-compare.ts [--seconds 5] [--clients 1,10,50] [--modes simple,extended,prepared]
 * Needs pgbench (Debian: postgresql-contrib) on PATH or in $PGBENCH; PgBouncer from $PGBOUNCER or PATH.
 * Targets (issue 6): at c=10 gatehouse keeps at least PgBouncer's share of direct TPS; at c=1 it adds at
 * most 0.1 ms per query. Reference on the 2-core dev box: PgBouncer 1.18 kept 0.48-0.54 of direct TPS at
 * c=10 simple and added about 0.035 ms p50 at c=1.
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createServer } from 'node:net'
import { PGBENCH, percentile, pgbenchSelect, startBenchGatehouse, withPgbenchDatabase } from './bench-gatehouse.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '1,10,50' },
    modes: { type: 'string', default: 'simple,extended,prepared' },
    scale: { type: 'string', default: '10' }
  }
})
const PGBOUNCER = process.env.PGBOUNCER ?? 'pgbouncer'
if (spawnSync(PGBENCH, ['--version']).status !== 0) {
  console.error(`pgbench not found (${PGBENCH}); install postgresql-contrib or set PGBENCH`)
  process.exit(1)
}
const hasPgbouncer = spawnSync(PGBOUNCER, ['--version']).status === 0

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => { resolve(port) }) })
  })
}

await withPgbenchDatabase(args.scale as string, async (bench) => {
  const { dir, cleanups, db, directEnv } = bench
  // gatehouse with the real dev issuer, a compiled policy (one allow rule) and an audit file.
  const { env: gatehouseEnv } = await startBenchGatehouse(bench, db, directEnv)
  const targets: Array<{ name: string; env: NodeJS.ProcessEnv }> = [
    { name: 'direct', env: directEnv },
    { name: 'gatehouse', env: gatehouseEnv }
  ]

  if (hasPgbouncer) {
    const port = await freePort()
    await writeFile(join(dir, 'userlist.txt'), `"${db.user}" "${db.password}"\n`)
    await writeFile(join(dir, 'pgbouncer.ini'), `[databases]\npostgres = host=${db.host} port=${db.port} dbname=postgres\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${port}\nauth_type = scram-sha-256\nauth_file = ${join(dir, 'userlist.txt')}\npool_mode = session\nmax_client_conn = 200\ndefault_pool_size = 60\nunix_socket_dir =\nlogfile = ${join(dir, 'pgbouncer.log')}\n`)
    // PgBouncer refuses to run as root: as root it runs as the postgres user (who can read the bench dir).
    const asRoot = process.getuid?.() === 0
    if (asRoot) await chmod(dir, 0o777)
    const bouncer = asRoot
      ? spawn('runuser', ['-u', 'postgres', '--', PGBOUNCER, join(dir, 'pgbouncer.ini')], { stdio: 'ignore' })
      : spawn(PGBOUNCER, [join(dir, 'pgbouncer.ini')], { stdio: 'ignore' })
    // SIGTERM, not SIGINT: runuser ignores SIGINT and only passes SIGTERM on, so the run never ended.
    cleanups.push(async () => { bouncer.kill('SIGTERM') })
    await new Promise((resolve) => setTimeout(resolve, 500))
    targets.push({ name: 'pgbouncer', env: { ...directEnv, PGPORT: String(port) } })
  } else {
    console.log(`PgBouncer not found (${PGBOUNCER}): comparing direct and gatehouse only (Debian: apt install pgbouncer)`)
  }

  interface Result { tps: number; p50Ms: number; p99Ms: number; maxMs: number }
  // Asynchronous: gatehouse runs in this process and must keep serving while pgbench runs.
  const run = async (env: NodeJS.ProcessEnv, mode: string, clients: number): Promise<Result> => {
    const { tps, latenciesUs: l } = await pgbenchSelect(env, { dir, mode, clients, seconds: args.seconds as string })
    return { tps, p50Ms: percentile(l, 0.5) / 1000, p99Ms: percentile(l, 0.99) / 1000, maxMs: l[l.length - 1] / 1000 }
  }

  const clientCounts = (args.clients as string).split(',').map(Number)
  const modes = (args.modes as string).split(',')
  console.log(`\n${'mode'.padEnd(9)} ${'c'.padStart(3)}  ${targets.map((t) => `${t.name} tps`.padStart(16) + `${'p50 ms'.padStart(8)}`).join('')}  gh/direct  gh +p50 ms${hasPgbouncer ? '  bouncer/direct' : ''}`)
  for (const mode of modes) {
    for (const c of clientCounts) {
      const results = new Map<string, Result>()
      for (const t of targets) results.set(t.name, await run(t.env, mode, c))

      const d = results.get('direct') as Result
      const g = results.get('gatehouse') as Result
      const b = results.get('pgbouncer')
      if (process.env.GH_BENCH_TAILS === '1') for (const [name, r] of results) console.log(`  ${name}: p99 ${r.p99Ms.toFixed(3)} ms, max ${r.maxMs.toFixed(3)} ms`)
      console.log(`${mode.padEnd(9)} ${String(c).padStart(3)}  ${targets.map((t) => { const r = results.get(t.name) as Result; return r.tps.toFixed(0).padStart(16) + r.p50Ms.toFixed(3).padStart(8) }).join('')}  ${(g.tps / d.tps).toFixed(2).padStart(9)}  ${(g.p50Ms - d.p50Ms).toFixed(3).padStart(10)}${b !== undefined ? (b.tps / d.tps).toFixed(2).padStart(16) : ''}`)
    }
  }
})
