import { spawn, spawnSync } from 'node:child_process'
import { chmod, mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedPostgres, devModeConfig, type EmbeddedPostgres, type GatehouseConfig } from '../../src/core/config/index.js'
import { createLogger } from '../../src/core/log/index.js'
import { startGateway, type Gateway } from '../../src/core/server/index.js'
import { createIdentityVerifier, mintDevToken } from '../../src/core/identity/index.js'
import { createPolicyStore } from '../../src/core/policy/index.js'
import { createAuditLog } from '../../src/core/audit/index.js'
import { createSqlAnalyzer } from '../../src/protocols/postgres/sql/index.js'
import { createPostgresPlugin } from '../../src/protocols/postgres/index.js'

/** What the postgres benchmarks share: a PostgreSQL, gatehouse in front of it, and how to stop both. */
export interface BenchRun {
  dir: string
  /** Run in reverse order at the end (also on error). */
  cleanups: Array<() => Promise<void>>
}

/** A temp dir the postgres user can reach (as root, initdb and the postmaster run as that user). */
export async function benchRun (prefix: string): Promise<BenchRun> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await chmod(dir, 0o755)
  return { dir, cleanups: [] }
}

/** An embedded PostgreSQL, and libpq variables that reach it directly. */
export async function startBenchPostgres (run: BenchRun): Promise<{ db: EmbeddedPostgres; directEnv: NodeJS.ProcessEnv }> {
  const db = await startEmbeddedPostgres({ dataDir: join(run.dir, 'pg') })
  run.cleanups.push(async () => { await db.stop() })
  const directEnv = { ...process.env, PGHOST: db.host, PGPORT: String(db.port), PGUSER: db.user, PGPASSWORD: db.password, PGDATABASE: 'postgres', PGSSLMODE: 'disable' }
  return { db, directEnv }
}

/** pgbench from $PGBENCH, else from PATH (Debian: postgresql-contrib). */
export const PGBENCH = process.env.PGBENCH ?? 'pgbench'

/** A bench run with its PostgreSQL, and libpq variables that reach it directly. */
export interface PgbenchDatabase extends BenchRun { db: EmbeddedPostgres; directEnv: NodeJS.ProcessEnv }

/**
 * The frame of a pgbench benchmark: a run dir, an embedded PostgreSQL with pgbench's tables at `scale`,
 * then `body`. An error is printed and sets the exit code; the cleanups run in reverse order either way,
 * then the dir is removed.
 */
export async function withPgbenchDatabase (scale: string, body: (run: PgbenchDatabase) => Promise<void>): Promise<void> {
  const run = await benchRun('gatehouse-bench-pg-')
  try {
    const { db, directEnv } = await startBenchPostgres(run)
    console.log(`initialising pgbench data (scale ${scale}) ...`)
    const init = spawnSync(PGBENCH, ['-i', '-q', '-s', scale], { env: directEnv })
    if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr.toString()}`)
    await body({ ...run, db, directEnv })
  } catch (err) {
    console.error(err)
    process.exitCode = 1
  } finally {
    for (const fn of run.cleanups.reverse()) await fn().catch(() => {})
    await rm(run.dir, { recursive: true, force: true })
  }
}

/**
 * gatehouse as it runs for real in front of `db`: the dev issuer (a token of group `bench`), a compiled
 * policy with one allow rule, and an audit file (GH_BENCH_NO_AUDIT=1: no sink, for diagnosis only).
 * Returns libpq variables that reach the target `bench` through it.
 */
export async function startBenchGatehouse (run: BenchRun, db: EmbeddedPostgres, directEnv: NodeJS.ProcessEnv): Promise<{ gateway: Gateway; env: NodeJS.ProcessEnv }> {
  const { dir } = run
  const quiet = createLogger({ level: 'warn' })
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
  run.cleanups.push(async () => { await gateway.close(); await policy.close(); await audit.close() })
  const token = await mintDevToken({ dataDir: dir, sub: 'bench', groups: ['bench'], ttlS: 3600 })
  const gw = gateway.listeners[0]
  return { gateway, env: { ...directEnv, PGHOST: gw.host, PGPORT: String(gw.port), PGUSER: 'bench', PGPASSWORD: token, PGDATABASE: 'bench' } }
}

/** A percentile of sorted values. */
export const percentile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]

/** One `pgbench -S` run: its TPS and every transaction's latency in µs, sorted (from pgbench's per-transaction log). */
export async function pgbenchSelect (env: NodeJS.ProcessEnv, opts: { dir: string; mode: string; clients: number; seconds: string }): Promise<{ tps: number; latenciesUs: number[] }> {
  const logDir = await mkdtemp(join(opts.dir, 'run-'))
  try {
    const child = spawn(PGBENCH, ['-S', '-n', '-M', opts.mode, '-c', String(opts.clients), '-j', String(Math.min(opts.clients, 2)), '-T', opts.seconds, '-l', '--log-prefix', join(logDir, 'tx')], { env, cwd: logDir })
    let out = ''
    child.stdout.on('data', (b: Buffer) => { out += b.toString() })
    child.stderr.on('data', (b: Buffer) => { out += b.toString() })
    const status = await new Promise<number | null>((resolve) => { child.once('close', resolve) })
    const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1])
    if (status !== 0 || !Number.isFinite(tps)) throw new Error(`pgbench failed (exit ${status}): ${out}`)
    const latenciesUs: number[] = []
    for (const f of await readdir(logDir)) {
      for (const line of (await readFile(join(logDir, f), 'utf8')).split('\n')) {
        const us = Number(line.split(' ')[2])
        if (Number.isFinite(us) && line !== '') latenciesUs.push(us)
      }
    }
    return { tps, latenciesUs: latenciesUs.sort((a, b) => a - b) }
  } finally {
    await rm(logDir, { recursive: true, force: true })
  }
}
