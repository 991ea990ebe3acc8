import { mkdir } from 'node:fs/promises'
import type { GatehouseConfig } from '../core/config/index.js'
import { startDevDatabase, type EmbeddedPostgres } from '../core/config/index.js'
import type { Logger } from '../core/log/index.js'
import { createIdentityVerifier, devIssuerJwks } from '../core/identity/index.js'
import { createAuditLog } from '../core/audit/index.js'
import { createPolicyStore } from '../core/policy/index.js'
import { detectEntities, loadMaskHashKey } from '../core/pii/index.js'
import { startGateway, type Gateway } from '../core/server/index.js'
import { startAdminServer, type AdminHandler, type AdminServer } from '../core/admin/index.js'
import { createSqlAnalyzer } from '../protocols/postgres/sql/index.js'
import { createPostgresPlugin } from '../protocols/postgres/index.js'
import { createHttpLlmPlugin } from '../protocols/http-llm/index.js'

/** A started gatehouse: everything `gatehouse start` runs, in one object that stops it all. */
export interface RunningGatehouse {
  config: GatehouseConfig
  gateway: Gateway
  admin: AdminServer
  devDatabase?: EmbeddedPostgres
  reloadPolicies (): Promise<void>
  /** Stop accepting, drain, close upstreams and sinks, stop the dev database. Idempotent. */
  stop (): Promise<void>
}

/**
 * The composition root: the one place that knows every room and both protocols. Whatever started
 * before a failure is stopped again, so a failed start leaves no process or port behind.
 */
export async function runGatehouse (config: GatehouseConfig, log: Logger): Promise<RunningGatehouse> {
  const cleanups: Array<() => Promise<void>> = []
  const stopAll = async (): Promise<void> => {
    for (const fn of cleanups.splice(0).reverse()) {
      await fn().catch((err: unknown) => { log.error({ err }, 'error while stopping') })
    }
  }
  try {
    // Not 0700: as root the embedded postgres user must pass through it; secrets inside have their own modes.
    await mkdir(config.dataDir, { recursive: true })
    let devDatabase: EmbeddedPostgres | undefined
    if (config.devMode) {
      const dev = await startDevDatabase({ dataDir: config.dataDir, onLog: (line) => { log.debug({ component: 'embedded-postgres' }, line) } })
      devDatabase = dev.db
      log.info({ cluster: dev.db.dataDir, port: dev.db.port }, 'embedded PostgreSQL is up')
      cleanups.push(async () => { await dev.db.stop() })
      config = { ...config, targets: [dev.target, ...config.targets] }
    }
    const identity = await createIdentityVerifier(config.identity, { dataDir: config.dataDir, log })
    cleanups.push(async () => { await identity.close?.() })
    const audit = await createAuditLog(config.audit, { log, dataDir: config.dataDir })
    cleanups.push(async () => { await audit.close() })
    const sql = await createSqlAnalyzer()
    const policy = await createPolicyStore({
      dir: config.policies.dir,
      defaultAction: config.policies.default,
      reloadRequiresTests: config.policies.reloadRequiresTests,
      log,
      audit,
      analyzeSql: (text) => sql.analyze(text),
      detectEntities,
      watch: true
    })
    cleanups.push(async () => { await policy.close() })
    const gateway = await startGateway({
      config,
      log,
      services: { config, log, identity, policy, audit, maskHashKey: await loadMaskHashKey(config.dataDir) },
      plugins: [createPostgresPlugin, createHttpLlmPlugin]
    })
    cleanups.push(async () => { await gateway.close() })

    const routes: Record<string, AdminHandler> = {
      'GET /healthz': async () => ({ status: 200, body: { status: 'ok' } }),
      'GET /readyz': async () => {
        const r = await gateway.readiness()
        return { status: r.ready ? 200 : 503, body: { status: r.ready ? 'ready' : 'not_ready', checks: r.checks } }
      },
      'GET /policy': async () => ({ status: 200, body: policy.status() })
    }
    if (config.identity.devIssuer) {
      routes['GET /dev-issuer/jwks.json'] = async () => ({ status: 200, body: await devIssuerJwks(config.dataDir) })
    }
    const admin = await startAdminServer({ host: config.admin.host, port: config.admin.port, routes, log })
    cleanups.push(async () => { await admin.close() })
    audit.system('start', { listeners: gateway.listeners.map((l) => `${l.name}@${l.host}:${l.port}`), policyRevision: policy.current().revision })
    return {
      config,
      gateway,
      admin,
      ...(devDatabase !== undefined ? { devDatabase } : {}),
      reloadPolicies: async () => { await policy.reload() },
      stop: async () => {
        audit.system('stop', {})
        await stopAll()
      }
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}
