import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { startTestPostgres } from '../../helpers/postgres.js'
import { startGateway, type Gateway } from '../../../src/core/server/index.js'
import { createLogger } from '../../../src/core/log/index.js'
import { devModeConfig, type GatehouseConfig, type ListenerTls, type PostgresTargetConfig } from '../../../src/core/config/index.js'
import { AuthError } from '../../../src/core/errors.js'
import type { AuditEntry, AuditLog } from '../../../src/core/audit/index.js'
import type { Decision, GatewayEvent, Identity } from '../../../src/core/events/index.js'
import type { PolicySet, PolicyStore } from '../../../src/core/policy/index.js'
import type { GatewayServices } from '../../../src/core/plugin/index.js'
import type { Logger } from '../../../src/core/log/index.js'
import type { IdentityVerifier } from '../../../src/core/identity/index.js'
import type { EmbeddedPostgres } from '../../../src/core/config/index.js'
import { createPostgresPlugin } from '../../../src/protocols/postgres/index.js'

interface Teardown { teardown (fn: () => unknown): void }

export const TOKEN = 'token-of-alice'
export const ALICE: Identity = { sub: 'alice', iss: 'https://idp.test/', groups: ['analysts'], via: 'oidc' }

export type Decide = (event: GatewayEvent) => Decision

export const allow = (rule = 'allow-all'): Decision => ({ action: 'allow', rules: [rule], shadow: [], masks: [], limits: [], policyRevision: 'test' })
export const deny = (rule: string, message?: string): Decision => ({ action: 'deny', rules: [rule], shadow: [], masks: [], limits: [], ...(message !== undefined ? { message } : {}), policyRevision: 'test' })

/** Denies any statement whose text mentions `word` (rule id `no-<word>`), allows the rest. */
export const denyMentioning = (word: string): Decide => (e) =>
  e.sql !== undefined && e.sql.text.toLowerCase().includes(word) ? deny(`no-${word}`, `no ${word} for you`) : allow()

export interface GatewayFixture {
  pg: EmbeddedPostgres
  gateway: Gateway
  host: string
  port: number
  /** CA file of the listener's local CA, when TLS is on. */
  caFile?: string
  audits: AuditEntry[]
  logLines: Array<Record<string, unknown>>
  tokens: Map<string, Identity>
  decide: Decide
  /** A DSN for gatehouse with alice's token. */
  url (opts?: { database?: string; password?: string; sslmode?: string }): string
}

export interface FixtureOptions {
  tls?: ListenerTls['mode']
  allowLoopbackPlaintext?: boolean
  /** Shares one PostgreSQL between fixtures of the same file. */
  pg?: EmbeddedPostgres
  targets?: (pg: EmbeddedPostgres) => PostgresTargetConfig[]
  limits?: Partial<GatehouseConfig['limits']>
  /** Real services (identity, policy, audit) replacing the in-test ones. */
  services?: (config: GatehouseConfig, log: Logger) => Promise<Partial<GatewayServices>>
}

/**
 * gatehouse's real listener and the postgres plugin in front of a fresh embedded PostgreSQL, with
 * in-test identity (a token map), policy (a decide function the test swaps) and audit (an array).
 */
export async function startGatewayFixture (t: Teardown, opts: FixtureOptions = {}): Promise<GatewayFixture> {
  const pg = opts.pg ?? await startTestPostgres(t)
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pgplugin-'))
  const envName = `GH_TEST_PG_PASSWORD_${Math.random().toString(36).slice(2)}`
  process.env[envName] = pg.password
  const base = devModeConfig(dir)
  const targets: PostgresTargetConfig[] = opts.targets?.(pg) ?? [
    { name: 'analytics', protocol: 'postgres', upstream: `postgres://${pg.user}@${pg.host}:${pg.port}/postgres`, passwordEnv: envName, upstreamTls: 'disable' }
  ]
  for (const tc of targets) if (tc.passwordEnv === 'PG_PASSWORD') tc.passwordEnv = envName
  const config: GatehouseConfig = {
    ...base,
    listeners: [{ name: 'pg', host: '127.0.0.1', port: 0, protocols: ['postgres'], tls: { mode: opts.tls ?? 'off' } as ListenerTls, allowLoopbackPlaintext: opts.allowLoopbackPlaintext ?? true }],
    targets,
    limits: { ...base.limits, handshakeTimeoutMs: 5000, shutdownGraceMs: 200, ...opts.limits }
  }
  const logLines: Array<Record<string, unknown>> = []
  const log = createLogger({ level: 'info', destination: new Writable({ write (chunk, _enc, cb) { logLines.push(JSON.parse(String(chunk))); cb() } }) })
  const audits: AuditEntry[] = []
  const tokens = new Map<string, Identity>([[TOKEN, ALICE]])
  const fixture = { decide: (() => allow()) as Decide }
  const identity: IdentityVerifier = {
    async verify (credential) {
      const id = tokens.get(credential)
      if (id === undefined) throw new AuthError('token is not valid')
      return id
    }
  }
  const set: PolicySet = { revision: 'test', defaultAction: 'deny', ruleCount: 1, recognizers: [], decide: (e) => fixture.decide(e) }
  const policy: PolicyStore = {
    current: () => set,
    reload: async () => ({ ok: true, revision: 'test' }),
    status: () => ({ revision: 'test', loadedAt: new Date(), rules: 1 }) as ReturnType<PolicyStore['status']>,
    close: async () => {}
  }
  const audit: AuditLog = {
    record: (e) => { audits.push(e) },
    system: () => {},
    stats: () => ({ lines: audits.length, seq: audits.length, dropped: {} }),
    close: async () => {}
  }
  const services = { config, log, identity, policy, audit, ...await opts.services?.(config, log) }
  const gateway = await startGateway({ config, log, services, plugins: [createPostgresPlugin] })
  t.teardown(async () => {
    await gateway.close()
    delete process.env[envName]
    await rm(dir, { recursive: true, force: true })
  })
  const l = gateway.listeners[0]
  return Object.assign(fixture, {
    pg,
    gateway,
    host: l.host,
    port: l.port,
    ...(l.caFile !== undefined ? { caFile: l.caFile } : {}),
    audits,
    logLines,
    tokens,
    url: (o: { database?: string; password?: string; sslmode?: string } = {}) =>
      `postgres://alice:${encodeURIComponent(o.password ?? TOKEN)}@${l.host}:${l.port}/${o.database ?? 'analytics'}${o.sslmode !== undefined ? `?sslmode=${o.sslmode}` : ''}`
  })
}
