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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmod, mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createServer } from 'node:net'
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
    clients: { type: 'string', default: '1,10,50' },
    modes: { type: 'string', default: 'simple,extended,prepared' },
    scale: { type: 'string', default: '10' }
  }
})
const PGBENCH = process.env.PGBENCH ?? 'pgbench'
const PGBOUNCER = process.env.PGBOUNCER ?? 'pgbouncer'
if (spawnSync(PGBENCH, ['--version']).status !== 0) {
  console.error(`pgbench not found (${PGBENCH}); install postgresql-contrib or set PGBENCH`)
  process.exit(1)
}
const hasPgbouncer = spawnSync(PGBOUNCER, ['--version']).status === 0

const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-pg-'))
await chmod(dir, 0o755)
const children: ChildProcess[] = []
const cleanups: Array<() => Promise<void>> = []
const quiet = createLogger({ level: 'warn' })

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => { resolve(port) }) })
  })
}

try {
  const db = await startEmbeddedPostgres({ dataDir: join(dir, 'pg') })
  cleanups.push(async () => { await db.stop() })
  const directEnv = { ...process.env, PGHOST: db.host, PGPORT: String(db.port), PGUSER: db.user, PGPASSWORD: db.password, PGDATABASE: 'postgres', PGSSLMODE: 'disable' }
  console.log(`initialising pgbench data (scale ${args.scale}) ...`)
  const init = spawnSync(PGBENCH, ['-i', '-q', '-s', args.scale as string], { env: directEnv })
  if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr.toString()}`)

  // gatehouse with the real dev issuer, a compiled policy (one allow rule) and an audit file.
  const policiesDir = join(dir, 'policies')
  await mkdir(policiesDir)
  await writeFile(join(policiesDir, 'allow-bench.yaml'), 'id: allow-bench\nmatch: { protocol: postgres, target: [bench], identity: { groups: [bench] } }\naction: allow\n')
  process.env.GH_BENCH_PG_PASSWORD = db.password
  const base = devModeConfig(dir)
  const config: GatehouseConfig = {
    ...base,
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
  const targets: Array<{ name: string; env: NodeJS.ProcessEnv }> = [
    { name: 'direct', env: directEnv },
    { name: 'gatehouse', env: { ...directEnv, PGHOST: gw.host, PGPORT: String(gw.port), PGUSER: 'bench', PGPASSWORD: token, PGDATABASE: 'bench' } }
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
    children.push(bouncer)
    await new Promise((resolve) => setTimeout(resolve, 500))
    targets.push({ name: 'pgbouncer', env: { ...directEnv, PGPORT: String(port) } })
  } else {
    console.log(`PgBouncer not found (${PGBOUNCER}): comparing direct and gatehouse only (Debian: apt install pgbouncer)`)
  }

  interface Result { tps: number; p50Ms: number; p99Ms: number; maxMs: number }
  const run = async (env: NodeJS.ProcessEnv, mode: string, clients: number): Promise<Result> => {
    const logDir = await mkdtemp(join(dir, 'run-'))
    // Asynchronous: gatehouse runs in this process and must keep serving while pgbench runs.
    const child = spawn(PGBENCH, ['-S', '-n', '-M', mode, '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', args.seconds as string, '-l', '--log-prefix', join(logDir, 'tx')], { env, cwd: logDir })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { out += c.toString() })
    const status = await new Promise<number | null>((resolve) => { child.once('close', resolve) })
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
    return { tps, p50Ms: latencies[Math.floor(latencies.length / 2)] / 1000, p99Ms: latencies[Math.floor(latencies.length * 0.99)] / 1000, maxMs: latencies[latencies.length - 1] / 1000 }
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
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  // SIGTERM, not SIGINT: runuser ignores SIGINT and only passes SIGTERM on, so the run never ended.
  for (const c of children) c.kill('SIGTERM')
  for (const fn of cleanups.reverse()) await fn().catch(() => {})
  await rm(dir, { recursive: true, force: true })
}
