/**
 * pgbench -S against gatehouse only, started as bench/pg/pgbench-compare.ts starts it (dev issuer,
 * compiled policy, audit file), for profiling the real relay path: run it under `node --cpu-prof`, or
 * attach `strace -c -f -p <pid>` (the pid is printed) while it runs. Prints TPS and p50 per mode.
 *
 * Run: node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx bench/pg/gatehouse-pgbench.ts [--seconds 10] [--clients 1] [--modes simple,prepared] [--wait-ms 0]
 * Also prints gatehouse's CPU time (user+system, all its threads) and context switches per transaction:
 * steadier than TPS on a shared machine. `--wait-ms` pauses between the start-up and the runs (time to attach strace). GH_BENCH_NO_AUDIT=1
 * turns the audit sink off (diagnosis only).
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmod, mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
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
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '1' },
    modes: { type: 'string', default: 'simple,prepared' },
    scale: { type: 'string', default: '10' },
    'wait-ms': { type: 'string', default: '0' }
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
  const env = { ...directEnv, PGHOST: gw.host, PGPORT: String(gw.port), PGUSER: 'bench', PGPASSWORD: token, PGDATABASE: 'bench' }
  console.log(`gatehouse pid ${process.pid}`)
  await new Promise((resolve) => setTimeout(resolve, Number(args['wait-ms'])))

  for (const mode of (args.modes as string).split(',')) {
    for (const c of (args.clients as string).split(',').map(Number)) {
      const logDir = await mkdtemp(join(dir, 'run-'))
      const cpu0 = process.cpuUsage()
      const ru0 = process.resourceUsage()
      const child = spawn(PGBENCH, ['-S', '-n', '-M', mode, '-c', String(c), '-j', String(Math.min(c, 2)), '-T', args.seconds as string, '-l', '--log-prefix', join(logDir, 'tx')], { env, cwd: logDir })
      let out = ''
      child.stdout.on('data', (b: Buffer) => { out += b.toString() })
      child.stderr.on('data', (b: Buffer) => { out += b.toString() })
      const status = await new Promise<number | null>((resolve) => { child.once('close', resolve) })
      const cpu = process.cpuUsage(cpu0)
      const ru = process.resourceUsage()
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
      console.log(`${mode.padEnd(9)} c=${String(c).padStart(3)}  tps ${tps.toFixed(0).padStart(7)}  p50 ${(latencies[Math.floor(latencies.length / 2)] / 1000).toFixed(3)} ms  p99 ${(latencies[Math.floor(latencies.length * 0.99)] / 1000).toFixed(3)} ms  max ${(latencies[latencies.length - 1] / 1000).toFixed(1)} ms  transactions ${latencies.length}  gatehouse CPU/tx ${((cpu.user + cpu.system) / latencies.length).toFixed(1)} µs (sys ${(cpu.system / latencies.length).toFixed(1)})  ctx switches/tx ${((ru.voluntaryContextSwitches - ru0.voluntaryContextSwitches) / latencies.length).toFixed(2)} vol ${((ru.involuntaryContextSwitches - ru0.involuntaryContextSwitches) / latencies.length).toFixed(2)} invol`)
    }
  }
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  for (const fn of cleanups.reverse()) await fn().catch(() => {})
  await rm(dir, { recursive: true, force: true })
}
