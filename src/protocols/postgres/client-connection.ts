import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { AuthError, UnmaskableResponseError } from '../../core/errors.js'
import type { AuditEntry } from '../../core/audit/index.js'
import { sortableId } from '../../core/events/index.js'
import type { Identity } from '../../core/events/index.js'
import type { Logger } from '../../core/log/index.js'
import type { ConnectionInfo, GatewayServices } from '../../core/plugin/index.js'
import type { PostgresTargetConfig } from '../../core/config/index.js'
import { FrameReader } from './codec/index.js'
import { CoalescingWriter } from './coalescing-writer.js'
import type { CancelKeys } from './cancel-keys.js'
import { pgError } from './errors.js'
import type { BackendKeyData } from './messages/backend-key-data.js'
import type { Action } from './session/actions.js'
import { Session, type SessionMasking, type SqlAnalysis } from './session/session.js'
import { cancelUpstream } from './upstream/cancel-upstream.js'
import { connectUpstream, MAX_SERVER_MESSAGE_BYTES } from './upstream/connect-upstream.js'

/** setTimeout cannot wait longer than this; longer token lifetimes re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** Rows and COPY data longer than this are relayed piece by piece as they arrive, not buffered whole. */
const STREAM_FRAMES_OVER_BYTES = 256 * 1024
/** How long a closing client gets to read its last bytes. */
const CLIENT_LINGER_MS = 1000

export interface ConnectionDeps {
  services: GatewayServices
  sql: SqlAnalysis
  cancelKeys: CancelKeys
  targets: readonly PostgresTargetConfig[]
  masking?: SessionMasking
}

type PauseReason = 'busy' | 'backpressure'
/** Why the upstream socket is not read: the client is not reading, or a catalog lookup is pending. */
type UpstreamPause = 'backpressure' | 'lookup'

/**
 * Drives one client's Session over its socket and its upstream socket: reads frames, performs the
 * actions the session returns, runs the asynchronous steps (TLS, identity, upstream login) one at a time,
 * and applies backpressure both ways (a slow reader pauses the other side, nothing buffers without bound).
 */
export class ClientConnection {
  readonly #deps: ConnectionDeps
  readonly #conn: ConnectionInfo
  #log: Logger
  readonly #session: Session
  readonly #clientReader: FrameReader
  readonly #serverReader = new FrameReader('server', MAX_SERVER_MESSAGE_BYTES)
  readonly #toClient = new CoalescingWriter()
  readonly #toServer = new CoalescingWriter()
  /** Audit entries of the current batch, recorded after its bytes are written (never in their way). */
  readonly #auditQueue: AuditEntry[] = []
  readonly #clientPaused = new Set<PauseReason>()
  #client: Duplex
  #upstream: Socket | TLSSocket | undefined
  readonly #upstreamPaused = new Set<UpstreamPause>()
  /** Server frames wait for this (a catalog lookup) before they are handled. */
  #serverWait: Promise<void> | undefined
  #key: BackendKeyData | undefined
  #busy = false
  #closed = false
  #handshakeTimer: NodeJS.Timeout | undefined
  #expiryTimer: NodeJS.Timeout | undefined
  readonly #done: Promise<void>
  #resolveDone!: () => void

  constructor (socket: Duplex, conn: ConnectionInfo, deps: ConnectionDeps) {
    this.#client = socket
    this.#conn = conn
    this.#deps = deps
    this.#log = conn.log.child({ protocol: 'postgres' })
    this.#clientReader = new FrameReader('client', deps.services.config.limits.maxMessageBytes)
    this.#done = new Promise((resolve) => { this.#resolveDone = resolve })
    this.#session = new Session({
      id: conn.id,
      client: {
        address: conn.remoteAddress,
        encrypted: conn.encrypted,
        canStartTls: conn.startTls !== undefined,
        plaintextAllowed: conn.isLoopback && conn.listener.allowLoopbackPlaintext
      },
      targets: deps.targets,
      sql: deps.sql,
      policy: deps.services.policy,
      newId: sortableId,
      ...(deps.masking !== undefined ? { masking: deps.masking } : {})
    })
  }

  /** Resolves when both legs are closed. */
  get done (): Promise<void> { return this.#done }

  start (): void {
    const ms = this.#deps.services.config.limits.handshakeTimeoutMs
    this.#handshakeTimer = setTimeout(() => {
      this.#log.info({ step: this.#session.step }, 'closing: start-up not finished within the handshake deadline')
      this.#run(() => this.#session.handshakeTimedOut(ms))
      this.#shutdown()
    }, ms)
    this.#attachClient(this.#client)
    this.#client.resume()
  }

  /** Ends the session now with a FATAL telling the client why (shutdown). */
  terminate (): void {
    this.#run(() => this.#session.fail(pgError.shuttingDown(), 'gatehouse shutting down'))
    this.#shutdown()
  }

  readonly #onClientData = (chunk: Buffer): void => {
    this.#clientReader.push(chunk)
    this.#pumpClient()
  }

  readonly #onClientGone = (): void => { this.#shutdown() }
  readonly #onClientError = (err: Error): void => {
    this.#log.debug({ err: err.message }, 'client socket error')
    this.#shutdown()
  }

  #attachClient (s: Duplex): void {
    s.on('data', this.#onClientData)
    s.on('end', this.#onClientGone)
    s.on('close', this.#onClientGone)
    s.on('error', this.#onClientError)
  }

  #detachClient (s: Duplex): void {
    s.off('data', this.#onClientData)
    s.off('end', this.#onClientGone)
    s.off('close', this.#onClientGone)
    s.off('error', this.#onClientError)
  }

  #pumpClient (): void {
    this.#batch(() => {
      while (!this.#busy && !this.#closed) {
        let actions: Action[]
        try {
          const frame = this.#clientReader.next(this.#session.expectsStartupPacket)
          if (frame === undefined) return
          actions = this.#session.onClient(frame)
        } catch (err) {
          actions = this.#failWith(err, 'client')
        }
        this.#perform(actions)
      }
    })
  }

  readonly #onServerData = (chunk: Buffer): void => {
    this.#serverReader.push(chunk)
    this.#pumpServer()
  }

  #pumpServer (): void {
    this.#batch(() => {
      while (!this.#closed && this.#serverWait === undefined) {
        let actions: Action[]
        try {
          const part = this.#serverReader.nextPart(this.#session.streamableServerCodes, STREAM_FRAMES_OVER_BYTES)
          if (part === undefined) return
          if (part.kind === 'frame') {
            actions = this.#session.onServer(part.frame)
          } else {
            if (part.kind === 'head') this.#session.onServerStreamStart(part.code)
            this.#toClient.push(part.bytes)
            continue
          }
        } catch (err) {
          actions = this.#failWith(err, 'server')
        }
        this.#perform(actions)
      }
    })
  }

  #failWith (err: unknown, side: 'client' | 'server'): Action[] {
    const fields = pgError.fromError(err, this.#conn.id)
    if (fields.code === 'XX000') this.#log.error({ err }, `internal error handling a ${side} message`)
    else this.#log.info({ code: fields.code, side }, fields.message)
    const isServerFault = side === 'server' && !(err instanceof UnmaskableResponseError)
    return this.#session.fail(isServerFault ? pgError.upstreamLost(this.#session.target?.name ?? '') : fields, `${side} error`)
  }

  /** Runs `fn`, writes what it queued (each side in one write), then records its audit entries. */
  #batch (fn: () => void): void {
    fn()
    this.#flush()
    const queue = this.#auditQueue
    if (queue.length === 0) return
    // Most batches record nothing; those that do reuse the queue instead of copying it out.
    for (let i = 0; i < queue.length; i++) this.#record(queue[i])
    queue.length = 0
  }

  #run (fn: () => Action[]): void {
    this.#batch(() => { this.#perform(fn()) })
  }

  #flush (): void {
    if (!this.#toClient.isEmpty && !this.#client.destroyed && !this.#toClient.flushTo(this.#client) && !this.#upstreamPaused.has('backpressure')) {
      this.#pauseUpstream('backpressure')
      this.#client.once('drain', () => { this.#resumeUpstream('backpressure') })
    }
    const up = this.#upstream
    if (up !== undefined && !this.#toServer.isEmpty && !up.destroyed && !this.#toServer.flushTo(up)) this.#pauseClient('backpressure')
  }

  #pauseUpstream (reason: UpstreamPause): void {
    this.#upstreamPaused.add(reason)
    this.#upstream?.pause()
  }

  #resumeUpstream (reason: UpstreamPause): void {
    this.#upstreamPaused.delete(reason)
    if (this.#upstreamPaused.size === 0 && !this.#closed) this.#upstream?.resume()
  }

  /** Server frames wait until the lookup is done; meanwhile the upstream is not read, so nothing piles up. */
  #waitServer (until: Promise<void>): void {
    this.#serverWait = until
    this.#pauseUpstream('lookup')
    void until.then(() => {
      this.#serverWait = undefined
      if (this.#closed) return
      this.#resumeUpstream('lookup')
      this.#pumpServer()
    })
  }

  #pauseClient (reason: PauseReason): void {
    if (this.#clientPaused.has(reason)) return
    this.#clientPaused.add(reason)
    this.#client.pause()
    if (reason === 'backpressure') this.#upstream?.once('drain', () => { this.#resumeClient('backpressure') })
  }

  #resumeClient (reason: PauseReason): void {
    this.#clientPaused.delete(reason)
    if (this.#clientPaused.size > 0 || this.#closed) return
    this.#client.resume()
    this.#pumpClient()
  }

  #perform (actions: Action[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'to-client': this.#toClient.push(a.bytes); break
        case 'to-server': this.#toServer.push(a.bytes); break
        case 'audit': this.#auditQueue.push(a.entry); break
        case 'start-tls':
          // Bytes behind an SSLRequest were sent before TLS, where anyone on the path could have
          // written them (CVE-2021-23222): refuse like PostgreSQL, before answering 'S'.
          if (this.#clientReader.buffered > 0) {
            this.#toClient.clear()
            this.#perform(this.#session.fail(pgError.protocolViolation('received unencrypted data after SSL request'), 'plaintext behind SSLRequest'))
            return
          }
          this.#flush()
          this.#async(this.#startTls())
          break
        case 'verify': this.#async(this.#verify(a.password)); break
        case 'connect': this.#async(this.#connect(a.target, a.params)); break
        case 'cancel': this.#cancel(a.key); break
        case 'wait-server': this.#waitServer(a.until); break
        case 'wait-client': {
          const next = a.then
          this.#async(next.then((actions) => { if (!this.#closed) this.#run(actions) }))
          break
        }
        case 'close':
          this.#log.debug({ reason: a.reason }, 'session closing')
          this.#flush()
          this.#shutdown()
          break
      }
    }
  }

  #record (entry: AuditEntry): void {
    if (entry.decision.action !== 'allow') this.#log.info({ rules: entry.decision.rules, request: entry.requestId }, 'statement denied')
    try {
      this.#deps.services.audit.record(entry)
    } catch (err) {
      this.#log.error({ err }, 'audit sink failed')
    }
  }

  /** One asynchronous step at a time; client bytes wait (paused) until it finished. */
  #async (step: Promise<void>): void {
    this.#busy = true
    this.#pauseClient('busy')
    step.catch((err: unknown) => {
      this.#log.error({ err }, 'internal error in an asynchronous step')
      this.#run(() => this.#session.fail(pgError.fromError(err, this.#conn.id), 'internal error'))
    }).finally(() => {
      this.#busy = false
      this.#resumeClient('busy')
    })
  }

  async #startTls (): Promise<void> {
    const startTls = this.#conn.startTls
    if (startTls === undefined) throw new Error('start-tls without a listener certificate')
    const raw = this.#client
    this.#detachClient(raw)
    let tls: TLSSocket
    try {
      tls = await startTls(raw as Socket)
    } catch (err) {
      this.#log.info({ err: (err as Error).message }, 'client TLS handshake failed')
      raw.destroy()
      this.#shutdown()
      return
    }
    if (this.#closed) {
      tls.destroy()
      return
    }
    this.#client = tls
    this.#attachClient(tls)
    this.#run(() => this.#session.onTlsStarted())
  }

  async #verify (password: string): Promise<void> {
    let identity: Identity
    try {
      identity = await this.#deps.services.identity.verify(password)
    } catch (err) {
      const reason = err instanceof AuthError ? err.message : 'the credential could not be verified'
      if (!(err instanceof AuthError)) this.#log.error({ err }, 'identity verifier failed')
      this.#log.info({ reason }, 'authentication failed')
      // The session may have ended meanwhile (handshake deadline, client gone).
      if (!this.#closed) this.#run(() => this.#session.onAuthFailed(reason))
      return
    }
    if (this.#closed) return
    // Every later line of this session names who it is.
    this.#log = this.#log.child({ sub: identity.sub })
    this.#log.info({ via: identity.via }, 'authenticated')
    this.#armExpiry(identity)
    this.#run(() => this.#session.onVerified(identity))
  }

  #armExpiry (identity: Identity): void {
    if (identity.expiresAt === undefined) return
    const ms = identity.expiresAt * 1000 - Date.now()
    this.#expiryTimer = setTimeout(() => {
      if (ms > MAX_TIMER_MS) {
        this.#armExpiry(identity)
        return
      }
      this.#log.info({ sub: identity.sub }, 'token expired: closing the session')
      this.#run(() => this.#session.expire())
    }, Math.max(0, Math.min(ms, MAX_TIMER_MS)))
    this.#expiryTimer.unref()
  }

  async #connect (target: PostgresTargetConfig, params: Record<string, string>): Promise<void> {
    let up
    try {
      up = await connectUpstream({ target, params, timeoutMs: this.#deps.services.config.limits.handshakeTimeoutMs })
    } catch (err) {
      this.#log.warn({ target: target.name, err: (err as Error).message }, 'upstream connect failed')
      if (!this.#closed) this.#run(() => this.#session.onUpstreamFailed((err as Error).message))
      return
    }
    if (this.#closed) {
      up.socket.destroy()
      return
    }
    this.#upstream = up.socket
    this.#log = this.#log.child({ target: target.name })
    this.#key = this.#deps.cancelKeys.issue({ target, upstreamKey: up.key })
    clearTimeout(this.#handshakeTimer)
    this.#run(() => this.#session.onUpstreamReady(up.startupFrames, up.readyForQuery, this.#key as BackendKeyData))
    up.socket.on('data', this.#onServerData)
    up.socket.on('end', this.#onUpstreamGone)
    up.socket.on('close', this.#onUpstreamGone)
    up.socket.on('error', (err) => { this.#log.info({ err: err.message }, 'upstream socket error') })
    if (up.leftover.length > 0) this.#onServerData(up.leftover)
    if (this.#upstreamPaused.size === 0) up.socket.resume()
  }

  readonly #onUpstreamGone = (): void => {
    if (this.#closed) return
    this.#run(() => this.#session.onUpstreamClosed())
  }

  #cancel (key: BackendKeyData): void {
    const route = this.#deps.cancelKeys.find(key)
    if (route === undefined) {
      this.#log.info('cancel request with an unknown key ignored')
      return
    }
    this.#log.info({ target: route.target.name }, 'forwarding cancel request')
    cancelUpstream(route.target, route.upstreamKey, this.#deps.services.config.limits.handshakeTimeoutMs)
      .catch((err: unknown) => { this.#log.warn({ err: (err as Error).message }, 'cancel request failed') })
  }

  #shutdown (): void {
    if (this.#closed) return
    this.#closed = true
    // A client that leaves mid-query must not leave the query running: PostgreSQL notices a closed
    // socket only when it next writes, which a long query may not do for hours.
    const queryRunning = this.#session.isAwaitingReplies
    // Decisions whose replies never completed are still recorded.
    for (const a of this.#session.drainAudits()) if (a.kind === 'audit') this.#auditQueue.push(a.entry)
    for (const entry of this.#auditQueue.splice(0)) this.#record(entry)
    clearTimeout(this.#handshakeTimer)
    clearTimeout(this.#expiryTimer)
    if (this.#key !== undefined && queryRunning) this.#cancel(this.#key)
    if (this.#key !== undefined) this.#deps.cancelKeys.release(this.#key)
    this.#toServer.clear()
    const up = this.#upstream
    if (up !== undefined) {
      up.off('data', this.#onServerData)
      up.destroy()
    }
    const client = this.#client
    if (client.destroyed) {
      this.#resolveDone()
      return
    }
    client.once('close', () => { this.#resolveDone() })
    // end() lets queued bytes (a FATAL) reach the client; a client that never reads is not waited for.
    client.end()
    setTimeout(() => { client.destroy() }, CLIENT_LINGER_MS).unref()
  }
}
