import type { Duplex } from 'node:stream'
import type { PostgresTargetConfig } from '../../core/config/index.js'
import type { ConnectionInfo, GatewayServices, ProtocolPlugin, ReadinessCheck } from '../../core/plugin/index.js'
import { STARTUP_CODE } from './codec/index.js'
import { CancelKeys } from './cancel-keys.js'
import { ClientConnection } from './client-connection.js'
import { errorBytes, pgError } from './errors.js'
import { ColumnResolver, responseMaskingCache } from './masking/index.js'
import type { SessionMasking, SqlAnalysis } from './session/session.js'
import { CatalogConnection } from './upstream/catalog-connection.js'
import { openSocket } from './upstream/connect-upstream.js'
import { upstreamAddress } from './upstream/upstream-address.js'

/** Bytes needed to recognise a startup-family packet: its length and request code. */
const SNIFF_BYTES = 8
const READINESS_TIMEOUT_MS = 2000
const STARTUP_CODES = new Set<number>(Object.values(STARTUP_CODE))
/** Startup packets are 8 to 10000 bytes long. */
const MAX_STARTUP_LENGTH = 10_000

/**
 * Recognises the first packet of a PostgreSQL connection: a length, then a known startup-family code.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
export function sniffPostgres (head: Buffer): 'yes' | 'no' | 'need-more' {
  // Length prefix: 0x00 0x00 then a small number; anything else cannot be ours.
  if (head.length >= 1 && head[0] !== 0) return 'no'
  if (head.length >= 2 && head[1] !== 0) return 'no'
  if (head.length < SNIFF_BYTES) return 'need-more'
  const length = head.readInt32BE(0)
  if (length < SNIFF_BYTES || length > MAX_STARTUP_LENGTH) return 'no'
  return STARTUP_CODES.has(head.readInt32BE(4)) ? 'yes' : 'no'
}

export class PostgresPlugin implements ProtocolPlugin {
  readonly name = 'postgres' as const
  readonly #services: GatewayServices
  readonly #sql: SqlAnalysis
  readonly #targets: PostgresTargetConfig[]
  readonly #cancelKeys = new CancelKeys()
  readonly #connections = new Set<ClientConnection>()
  /** Per target: gatehouse's own connection for catalog lookups, opened when a result is first masked. */
  readonly #catalogs = new Map<string, { connection: CatalogConnection; resolver: ColumnResolver }>()
  readonly #masking: SessionMasking
  #closing = false

  constructor (services: GatewayServices, sql: SqlAnalysis) {
    this.#services = services
    this.#sql = sql
    this.#targets = services.config.targets.filter((t): t is PostgresTargetConfig => t.protocol === 'postgres')
    this.#masking = {
      forMasks: responseMaskingCache(services.maskHashKey !== undefined ? { hashKey: services.maskHashKey } : {}),
      resolverFor: (target) => this.#catalogOf(target).resolver,
      onResolveError: (err) => { services.log.warn({ err: (err as Error).message }, 'column lookup failed: masking this result by column names and content') }
    }
  }

  #catalogOf (target: PostgresTargetConfig): { connection: CatalogConnection; resolver: ColumnResolver } {
    let c = this.#catalogs.get(target.name)
    if (c === undefined) {
      const connection = new CatalogConnection({ target, timeoutMs: this.#services.config.limits.handshakeTimeoutMs })
      c = { connection, resolver: new ColumnResolver({ query: async (sql, params) => await connection.query(sql, params) }) }
      this.#catalogs.set(target.name, c)
    }
    return c
  }

  sniff (head: Buffer): 'yes' | 'no' | 'need-more' { return sniffPostgres(head) }

  handle (socket: Duplex, conn: ConnectionInfo): void {
    if (this.#closing) {
      socket.end(errorBytes(pgError.notAcceptingConnections()))
      return
    }
    const c = new ClientConnection(socket, conn, { services: this.#services, sql: this.#sql, cancelKeys: this.#cancelKeys, targets: this.#targets, masking: this.#masking })
    this.#connections.add(c)
    void c.done.then(() => { this.#connections.delete(c) })
    c.start()
  }

  /** Can each postgres target be reached (TCP connect)? */
  async readiness (): Promise<ReadinessCheck[]> {
    return await Promise.all(this.#targets.map(async (t): Promise<ReadinessCheck> => {
      const name = `postgres:${t.name}`
      try {
        const addr = upstreamAddress(t)
        const s = await openSocket(addr.host, addr.port, READINESS_TIMEOUT_MS)
        s.destroy()
        return { name, ok: true }
      } catch (err) {
        return { name, ok: false, detail: (err as Error).message }
      }
    }))
  }

  /** Refuses new sessions, lets open ones end within graceMs, then ends the rest with a FATAL. */
  async close (graceMs: number): Promise<void> {
    this.#closing = true
    const all = Promise.all([...this.#connections].map(async (c) => { await c.done }))
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(true) }, graceMs) })
    ])
    clearTimeout(timer)
    if (timedOut) {
      for (const c of this.#connections) c.terminate()
      await all
    }
    for (const c of this.#catalogs.values()) c.connection.close()
  }
}
