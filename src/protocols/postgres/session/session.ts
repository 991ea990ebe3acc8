import assert from 'node:assert'
import { performance } from 'node:perf_hooks'
import type { AuditEntry } from '../../../core/audit/index.js'
import type { PostgresTargetConfig } from '../../../core/config/index.js'
import type { Decision, GatewayEvent, Identity, MaskSpec, SessionInfo, SqlFacts } from '../../../core/events/index.js'
import type { PolicyStore } from '../../../core/policy/index.js'
import { BACKEND, FRONTEND, SSL_ACCEPTED, SSL_REFUSED, STARTUP_CODE, type Frame } from '../codec/index.js'
import { pgError, errorBytes } from '../errors.js'
import { copyOutRefusal, copyOutRefusalResolved, copyOutStatements, type ColumnResolver, type CopyOutStatement, type ResponseMasking } from '../masking/index.js'
import { encodeAuthenticationCleartextPassword, encodeAuthenticationOk } from '../messages/authentication.js'
import { encodeBackendKeyData, type BackendKeyData } from '../messages/backend-key-data.js'
import { bindParamsAsText, decodeBind } from '../messages/bind.js'
import { decodeClose } from '../messages/close.js'
import { decodeDescribe } from '../messages/describe.js'
import { decodeExecute } from '../messages/execute.js'
import { decodeErrorFields, type ErrorFields } from '../messages/error-response.js'
import { decodeFunctionCallOid } from '../messages/function-call.js'
import { encodeNegotiateProtocolVersion } from '../messages/negotiate-protocol-version.js'
import { decodeParse, encodeParse } from '../messages/parse.js'
import { decodePasswordMessage } from '../messages/password-message.js'
import { decodeQuery, encodeQuery } from '../messages/query.js'
import { decodeStartupPacket } from '../messages/startup-packet.js'
import type { StartupMessage } from '../messages/startup-message.js'
import type { Action } from './actions.js'
import { ReplyQueue, type Pending } from './reply-queue.js'
import { ResultMasking } from './result-masking.js'

export type Step = 'startup' | 'tls-handshake' | 'password' | 'verifying' | 'connecting' | 'ready' | 'closed'

/** What the session needs from SQL analysis (src/protocols/postgres/sql). */
export interface SqlAnalysis {
  analyze (text: string): SqlFacts
  normalize (text: string): string
}

export interface SessionOptions {
  id: string
  client: {
    address: string
    /** The client connection is TLS already (core terminated it). */
    encrypted: boolean
    /** The listener can upgrade on SSLRequest. */
    canStartTls: boolean
    /** A token may be sent over plaintext (loopback client, listener allows it). */
    plaintextAllowed: boolean
  }
  targets: readonly PostgresTargetConfig[]
  sql: SqlAnalysis
  policy: PolicyStore
  newId: () => string
  /** Milliseconds, for audit latencies (default performance.now). */
  now?: () => number
  /** Masking of what the server sends back; without it, replies are relayed as they come. */
  masking?: SessionMasking
}

export interface SessionMasking {
  /** The masking of a decision's masks; undefined when none applies to responses. */
  forMasks: (masks: readonly MaskSpec[]) => ResponseMasking | undefined
  /** The catalog of a target, shared by its sessions. */
  resolverFor: (target: PostgresTargetConfig) => ColumnResolver
  /** A catalog lookup failed (the result is masked by column names and content only). */
  onResolveError: (err: unknown) => void
}

/** Sent to the server instead of a denied statement: it fails at parse time, without side effects, so the
 *  server itself aborts a transaction block and skips to Sync exactly as for a real error. */
export const DENIED_SQL = 'gatehouse_policy_denied'
/** Name of the failing Parse sent instead of a denied Bind (named, so the unnamed statement survives). */
export const DENIED_STATEMENT = 'gatehouse_policy_denied'

/** Startup parameters that describe the client's login, not its session: never passed upstream. */
const LOGIN_PARAMS = new Set(['user', 'database', 'replication'])
const PROTOCOL_OPTION_PREFIX = '_pq_.'
const EMPTY = Buffer.alloc(0)
const STREAMABLE_SERVER_CODES: ReadonlySet<number> = new Set([BACKEND.DATA_ROW, BACKEND.COPY_DATA])
const NONE: ReadonlySet<number> = new Set()
const DISCARD_ALL = /^\s*discard\s+all\s*;?\s*$/i
const DEALLOCATE = /^\s*deallocate\s+(?:prepare\s+)?("(?:[^"]|"")+"|[^\s;]+)\s*;?\s*$/i
const PREPARE = /^\s*prepare\s+("(?:[^"]|"")+"|[^\s(;]+)/i
const REPLICATION_OFF = new Set(['false', 'off', 'no', '0'])
/** Portals whose masks are remembered; beyond this the oldest is forgotten (and masked as unknown). */
const MAX_REMEMBERED_PORTALS = 1024

interface PreparedStatement { sql: string; facts: SqlFacts }
/** What an Execute of a portal must mask, from the decision of its Bind. */
interface PortalMasks { masking: ResponseMasking | undefined; copies?: CopyOutStatement[] }

/**
 * One client session as a state machine: it takes frames (and the results of the actions it asked for)
 * and returns actions. Startup -> (TLS) -> password -> verifying -> connecting -> ready -> closed.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html
 */
export class Session {
  readonly #opts: SessionOptions
  #step: Step = 'startup'
  #startup: StartupMessage | undefined
  #identity: Identity | undefined
  #target: PostgresTargetConfig | undefined
  /** The `session` of every event this session decides: fixed once the target is known, so shared. */
  #eventSession: SessionInfo | undefined
  readonly #replies = new ReplyQueue()
  readonly #statements = new Map<string, PreparedStatement>()
  /** Audit entries of allowed Binds, waiting for the Execute of their portal. */
  readonly #portalAudits = new Map<string, AuditEntry>()
  readonly #now: () => number
  /** After gatehouse made a message fail, the server ignores everything up to Sync: so do we. */
  #skippingToSync = false
  #encrypted: boolean
  #results: ResultMasking | undefined
  #resolver: ColumnResolver | undefined
  readonly #portalMasks = new Map<string, PortalMasks>()
  /** The masks of the latest decision that had any: what an Execute of a forgotten portal gets. */
  #lastMasking: ResponseMasking | undefined

  constructor (opts: SessionOptions) {
    this.#opts = opts
    this.#encrypted = opts.client.encrypted
    this.#now = opts.now ?? (() => performance.now())
  }

  get step (): Step { return this.#step }
  get target (): PostgresTargetConfig | undefined { return this.#target }
  /** The next client frame is a startup-family packet (no type byte). */
  get expectsStartupPacket (): boolean { return this.#step === 'startup' }
  /** Replies the server still owes, head first. */
  expectedReplies (): string[] { return this.#replies.expected() }
  /** The server still owes replies: a statement may be running. */
  get isAwaitingReplies (): boolean { return this.#replies.head !== undefined }

  onClient (frame: Frame): Action[] {
    switch (this.#step) {
      case 'startup': return this.#onStartupPacket(frame)
      case 'password': return this.#onPassword(frame)
      case 'ready': return this.#onRelay(frame)
      case 'closed': return []
      default:
        assert.fail(`client frame while ${this.#step}: the driver must not read during an action`)
    }
  }

  onTlsStarted (): Action[] {
    assert(this.#step === 'tls-handshake', 'TLS started outside the handshake')
    this.#step = 'startup'
    this.#encrypted = true
    return []
  }

  onVerified (identity: Identity): Action[] {
    // Every assert carries a message: without one, node:assert reads and parses the source file to build
    // it, which blocks the event loop for seconds under a loader.
    assert(this.#step === 'verifying' && this.#startup !== undefined, 'verified outside verifying')
    this.#identity = identity
    const params = this.#startup.params
    const database = params.database ?? params.user ?? ''
    const target = this.#opts.targets.find((t) => t.name === database)
    if (target === undefined) return this.#fatal(pgError.unknownDatabase(database), 'unknown database')
    this.#target = target
    this.#eventSession = Object.freeze({ id: this.#opts.id, protocol: 'postgres', target: target.name, client: Object.freeze({ address: this.#opts.client.address }) })
    const m = this.#opts.masking
    if (m !== undefined) {
      this.#resolver = m.resolverFor(target)
      this.#results = new ResultMasking({ resolver: this.#resolver, onResolveError: m.onResolveError })
    }
    const out: Action[] = []
    const upstreamParams: Record<string, string> = {}
    const replication = params.replication
    if (replication !== undefined && !REPLICATION_OFF.has(replication.toLowerCase())) {
      const d = this.#decide({ text: `replication=${replication}`, statements: [{ operation: 'unknown', tables: [] }] }, 'connect')
      out.push(d.audit)
      if (!isAllowedByRule(d.decision)) return [...out, ...this.#fatal(pgError.replicationRefused(), 'replication refused')]
      upstreamParams.replication = replication
    }
    for (const [k, v] of Object.entries(params)) {
      if (!LOGIN_PARAMS.has(k) && !k.startsWith(PROTOCOL_OPTION_PREFIX)) upstreamParams[k] = v
    }
    this.#step = 'connecting'
    out.push({ kind: 'connect', target, params: upstreamParams })
    return out
  }

  onAuthFailed (reason: string): Action[] {
    assert(this.#step === 'verifying' && this.#startup !== undefined, 'auth failure outside verifying')
    return this.#fatal(pgError.authFailed(this.#startup.params.user ?? '', reason), 'authentication failed')
  }

  /** The upstream session is logged in: finish the client's start-up with our own key. */
  onUpstreamReady (startupFrames: readonly Frame[], readyForQuery: Frame, clientKey: BackendKeyData): Action[] {
    assert(this.#step === 'connecting', 'upstream ready outside connecting')
    this.#step = 'ready'
    return [
      { kind: 'to-client', bytes: encodeAuthenticationOk() },
      ...startupFrames.map((f): Action => ({ kind: 'to-client', bytes: f.raw })),
      { kind: 'to-client', bytes: encodeBackendKeyData(clientKey) },
      { kind: 'to-client', bytes: readyForQuery.raw }
    ]
  }

  onUpstreamFailed (why: string): Action[] {
    assert(this.#step === 'connecting' && this.#target !== undefined, 'upstream failure outside connecting')
    return this.#fatal(pgError.upstreamUnavailable(this.#target.name, why), 'upstream unavailable')
  }

  /** The server's side of the relay. */
  onServer (frame: Frame): Action[] {
    if (this.#step !== 'ready') return []
    const head = this.#replies.head
    const outcome = this.#replies.onServer(frame)
    if (outcome.denial !== undefined) {
      const out = this.#settledAudits(outcome.settled)
      out.push({ kind: 'to-client', bytes: errorBytes(outcome.denial) })
      return out
    }
    // Masking first: what it counts goes on the audit entries this frame settles.
    const bytes = this.#results === undefined ? frame.raw : this.#results.onServer(frame, head)
    const out: Action[] = outcome.settled.length === 0 ? [] : this.#settledAudits(outcome.settled)
    if (bytes.length > 0) out.push({ kind: 'to-client', bytes })
    const lookup = this.#results?.takeWait()
    if (lookup !== undefined) out.push({ kind: 'wait-server', until: lookup })
    if (frame.code === BACKEND.ERROR_RESPONSE && this.#isFatal(frame)) out.push(...this.#close('upstream ended the session'))
    return out
  }

  /**
   * Server frames the relay may pass on in pieces, as they arrive, without the session seeing their
   * content: rows and COPY data of replies nothing masks, which only ever go to the client unchanged.
   */
  get streamableServerCodes (): ReadonlySet<number> {
    return this.#step === 'ready' && this.#replies.head?.masking === undefined ? STREAMABLE_SERVER_CODES : NONE
  }

  /** A streamed server frame begins; its bytes go to the client as they come. */
  onServerStreamStart (code: number): void {
    assert(this.#step === 'ready' && STREAMABLE_SERVER_CODES.has(code), 'streamed a frame the session must see')
    this.#replies.onServer({ code, body: EMPTY })
  }

  /** The upstream connection closed under us. */
  onUpstreamClosed (): Action[] {
    if (this.#step === 'closed') return []
    return this.#fatal(pgError.upstreamLost(this.#target?.name ?? ''), 'upstream closed')
  }

  /** A client or server broke the protocol, or gatehouse failed: tell the client, then close. */
  fail (fields: ErrorFields, reason: string): Action[] {
    if (this.#step === 'closed') return []
    return this.#fatal(fields, reason)
  }

  /** The start-up did not finish within the handshake deadline: say which part was too slow. */
  handshakeTimedOut (ms: number): Action[] {
    switch (this.#step) {
      case 'closed': return []
      // Mid-TLS-handshake a plaintext message would only be noise.
      case 'tls-handshake': return this.#close('handshake timeout')
      case 'connecting': return this.#fatal(pgError.upstreamUnavailable(this.#target?.name ?? '', `upstream start-up did not finish within ${ms} ms`), 'handshake timeout')
      default: return this.#fatal(pgError.handshakeTimeout(ms), 'handshake timeout')
    }
  }

  expire (): Action[] {
    return this.fail(pgError.tokenExpired(), 'token expired')
  }

  #isFatal (frame: Frame): boolean {
    const s = decodeErrorFields(frame.body).severity
    return s === 'FATAL' || s === 'PANIC'
  }

  #fatal (fields: ErrorFields, reason: string): Action[] {
    return [{ kind: 'to-client', bytes: errorBytes(fields) }, ...this.#close(reason)]
  }

  #close (reason: string): Action[] {
    this.#step = 'closed'
    return [...this.drainAudits(), { kind: 'close', reason }]
  }

  /**
   * Audit entries of decisions whose replies never completed (the session is ending): recorded now, so
   * no decision goes unaudited. The driver calls this when a socket closes under the session.
   */
  drainAudits (): Action[] {
    const out = this.#settledAudits(this.#replies.clear())
    for (const entry of this.#portalAudits.values()) out.push({ kind: 'audit', entry })
    this.#portalAudits.clear()
    return out
  }

  /** Audit actions for settled replies that complete a decision, with rows and latency. */
  #settledAudits (settled: readonly Pending[]): Action[] {
    const out: Action[] = []
    for (const p of settled) {
      const a = p.audit
      if (a === undefined) continue
      // Built field by field (not spread): one of these per statement, on the relay's path.
      const entry: AuditEntry = { event: a.event, decision: a.decision, requestId: a.requestId, summary: a.summary, usage: { rows: p.rows ?? 0 } }
      if (p.sentAt !== undefined) entry.latencyMs = Math.round((this.#now() - p.sentAt) * 1000) / 1000
      if (p.masked !== undefined && p.masked.total > 0) entry.masked = p.masked.toRecord()
      out.push({ kind: 'audit', entry })
    }
    return out
  }

  #onStartupPacket (frame: Frame): Action[] {
    const p = decodeStartupPacket(frame.body)
    switch (p.kind) {
      case 'ssl':
        if (this.#encrypted) return this.#fatal(pgError.protocolViolation('SSLRequest on a connection that is already encrypted'), 'protocol violation')
        if (!this.#opts.client.canStartTls) return [{ kind: 'to-client', bytes: Buffer.from([SSL_REFUSED]) }]
        this.#step = 'tls-handshake'
        return [{ kind: 'to-client', bytes: Buffer.from([SSL_ACCEPTED]) }, { kind: 'start-tls' }]
      case 'gssenc':
        return [{ kind: 'to-client', bytes: Buffer.from([SSL_REFUSED]) }]
      case 'cancel':
        this.#step = 'closed'
        return [{ kind: 'cancel', key: { processId: p.processId, secretKey: p.secretKey } }, { kind: 'close', reason: 'cancel request' }]
      case 'startup':
        return this.#onStartupMessage(p)
    }
  }

  #onStartupMessage (m: StartupMessage): Action[] {
    if (m.version >>> 16 !== STARTUP_CODE.PROTOCOL_3_0 >>> 16) return this.#fatal(pgError.unsupportedProtocol(m.version), 'unsupported protocol')
    if (m.params.user === undefined || m.params.user === '') return this.#fatal(pgError.protocolViolation('no PostgreSQL user name specified in startup packet'), 'no user')
    const roleParam = roleChangingParameter(m.params)
    if (roleParam !== undefined) return this.#fatal(pgError.startupParameterRefused(roleParam), 'role change at startup')
    this.#startup = m
    const out: Action[] = []
    const options = Object.keys(m.params).filter((k) => k.startsWith(PROTOCOL_OPTION_PREFIX))
    // A newer minor version or protocol extensions: say we speak 3.0 without them, and go on.
    if ((m.version & 0xffff) !== 0 || options.length > 0) {
      out.push({ kind: 'to-client', bytes: encodeNegotiateProtocolVersion({ newestMinor: 0, unsupportedOptions: options }) })
    }
    // Refuse before asking: a token must not cross a plaintext link.
    if (!this.#encrypted && !this.#opts.client.plaintextAllowed) return [...out, ...this.#fatal(pgError.tlsRequired(), 'plaintext refused')]
    this.#step = 'password'
    out.push({ kind: 'to-client', bytes: encodeAuthenticationCleartextPassword() })
    return out
  }

  #onPassword (frame: Frame): Action[] {
    if (frame.code !== FRONTEND.PASSWORD) return this.#fatal(pgError.protocolViolation(`expected a password message, got '${String.fromCharCode(frame.code)}'`), 'protocol violation')
    const password = decodePasswordMessage(frame.body)
    this.#step = 'verifying'
    return [{ kind: 'verify', password }]
  }

  #onRelay (frame: Frame): Action[] {
    switch (frame.code) {
      case FRONTEND.QUERY: return this.#onQuery(frame)
      case FRONTEND.PARSE: return this.#onParse(frame)
      case FRONTEND.BIND: return this.#onBind(frame)
      case FRONTEND.DESCRIBE: {
        const d = decodeDescribe(frame.body)
        this.#replies.push(d.target === 'statement'
          ? { reply: 'describe-statement', statement: d.name }
          : { reply: 'describe-portal', portal: d.name, masking: this.#portalMasking(d.name)?.masking })
        return [toServer(frame.raw)]
      }
      case FRONTEND.EXECUTE: {
        // The first Execute of an allowed Bind's portal completes its audit entry (rows, latency).
        const portal = decodeExecute(frame.body).portal
        const audit = this.#portalAudits.get(portal)
        const masks = this.#portalMasking(portal)
        const pending: Pending = { reply: 'execute', portal, masking: masks?.masking, ...(masks?.copies !== undefined ? { copies: masks.copies } : {}) }
        if (audit !== undefined) {
          this.#portalAudits.delete(portal)
          Object.assign(pending, { audit, sentAt: this.#now() })
        }
        this.#replies.push(pending)
        return [toServer(frame.raw)]
      }
      case FRONTEND.CLOSE: {
        const c = decodeClose(frame.body)
        if (c.target === 'statement') this.#statements.delete(c.name)
        else this.#portalMasks.delete(c.name)
        this.#replies.push(c.target === 'statement' ? { reply: 'close', statement: c.name } : { reply: 'close', portal: c.name })
        return [toServer(frame.raw)]
      }
      case FRONTEND.SYNC: {
        this.#skippingToSync = false
        this.#replies.push({ reply: 'sync' })
        // A Bind whose portal was not executed in its batch ran nothing more: record it as it is.
        if (this.#portalAudits.size === 0) return [toServer(frame.raw)]
        const unexecuted = [...this.#portalAudits.values()].map((entry): Action => ({ kind: 'audit', entry }))
        this.#portalAudits.clear()
        return [...unexecuted, toServer(frame.raw)]
      }
      case FRONTEND.FLUSH:
      case FRONTEND.COPY_DATA:
      case FRONTEND.COPY_DONE:
      case FRONTEND.COPY_FAIL:
        return [toServer(frame.raw)]
      case FRONTEND.FUNCTION_CALL: return this.#onFunctionCall(frame)
      case FRONTEND.TERMINATE:
        return [toServer(frame.raw), ...this.#close('client terminated')]
      default:
        return this.#fatal(pgError.protocolViolation(`invalid frontend message type ${frame.code}`), 'protocol violation')
    }
  }

  #onQuery (frame: Frame): Action[] {
    const { sql } = decodeQuery(frame.body)
    const facts = this.#opts.sql.analyze(sql)
    const d = this.#decide(facts, 'request')
    this.#trackSqlPrepared(facts)
    if (d.decision.action !== 'allow') {
      this.#replies.push({ reply: 'query', denial: pgError.policyDenied(d.decision) })
      return [d.audit, toServer(encodeQuery({ sql: DENIED_SQL }))]
    }
    const masking = this.#maskingOf(d.decision)
    const copies = masking !== undefined ? copiesOf(facts) : undefined
    return this.#afterCopyCheck(copies, masking, (refusal) => {
      if (refusal === undefined) {
        this.#replies.push({ reply: 'query', audit: d.entry, sentAt: this.#now(), masking, ...(copies !== undefined ? { copies } : {}) })
        return [toServer(frame.raw)]
      }
      const refused = this.#refused(d, refusal)
      this.#replies.push({ reply: 'query', denial: refused.error })
      return [refused.audit, toServer(encodeQuery({ sql: DENIED_SQL }))]
    })
  }

  #onParse (frame: Frame): Action[] {
    const m = decodeParse(frame.body)
    if (this.#skippingToSync) {
      this.#replies.push({ reply: 'parse' })
      return [toServer(frame.raw)]
    }
    const facts = this.#opts.sql.analyze(m.sql)
    const d = this.#decide(facts, 'request')
    const deny = (error: ErrorFields, audit: Action): Action[] => {
      if (m.name === '') this.#statements.delete(m.name)
      this.#skippingToSync = true
      this.#replies.push({ reply: 'parse', denial: error })
      return [audit, toServer(encodeParse({ name: m.name, sql: DENIED_SQL, paramTypes: [] }))]
    }
    if (d.decision.action !== 'allow') return deny(pgError.policyDenied(d.decision), d.audit)
    const masking = this.#maskingOf(d.decision)
    return this.#afterCopyCheck(masking !== undefined ? copiesOf(facts) : undefined, masking, (refusal) => {
      if (refusal !== undefined) {
        const refused = this.#refused(d, refusal)
        return deny(refused.error, refused.audit)
      }
      this.#statements.set(m.name, { sql: m.sql, facts })
      this.#replies.push({ reply: 'parse', statement: m.name })
      // A Parse runs nothing: its execution (Bind) is what gets audited when allowed.
      return [toServer(frame.raw)]
    })
  }

  /**
   * Runs `proceed` with the reason COPY ... TO STDOUT output cannot be masked, if it cannot: at once, or,
   * when a COPY (query) must be checked against the catalog (views carrying masked columns), after the
   * lookup, with the client's later messages waiting.
   */
  #afterCopyCheck (copies: CopyOutStatement[] | undefined, masking: ResponseMasking | undefined, proceed: (refusal: string | undefined) => Action[]): Action[] {
    if (copies === undefined || masking === undefined) return proceed(undefined)
    const refusal = refuseCopy(copies, masking)
    const resolver = this.#resolver
    if (refusal !== undefined || resolver === undefined || !masking.hasColumnRules || copies.every((c) => c.relation !== undefined)) return proceed(refusal)
    const check = (async () => {
      for (const c of copies) {
        const r = await copyOutRefusalResolved(c, masking, resolver)
        if (r !== undefined) return r
      }
      return undefined
    })()
    return [{
      kind: 'wait-client',
      then: check.then(
        (r) => () => proceed(r),
        (err: unknown) => {
          this.#opts.masking?.onResolveError(err)
          return () => proceed('COPY (query) TO STDOUT cannot be checked against the catalog; use SELECT')
        })
    }]
  }

  #onBind (frame: Frame): Action[] {
    const m = decodeBind(frame.body)
    const stmt = this.#statements.get(m.statement)
    // Unknown statements were prepared with SQL PREPARE, whose Query was decided; the server rejects
    // names it does not know.
    if (this.#skippingToSync || stmt === undefined) {
      this.#replies.push({ reply: 'bind' })
      return [toServer(frame.raw)]
    }
    const d = this.#decide({ ...stmt.facts, params: bindParamsAsText(m) }, 'request')
    if (d.decision.action === 'allow') {
      const replaced = this.#portalAudits.get(m.portal)
      this.#portalAudits.set(m.portal, d.entry)
      const masking = this.#maskingOf(d.decision)
      const copies = masking !== undefined ? copiesOf(stmt.facts) : undefined
      this.#rememberPortal(m.portal, { masking, ...(copies !== undefined ? { copies } : {}) })
      this.#replies.push({ reply: 'bind', statement: m.statement, portal: m.portal, resultFormats: m.resultFormats, masking })
      return replaced !== undefined ? [{ kind: 'audit', entry: replaced }, toServer(frame.raw)] : [toServer(frame.raw)]
    }
    this.#skippingToSync = true
    this.#replies.push({ reply: 'bind', denial: pgError.policyDenied(d.decision) })
    // Replaced by a Parse that cannot succeed, not by a Bind to some statement name: a client could have
    // prepared any name itself. A named Parse that fails has no side effect on existing statements.
    return [d.audit, toServer(encodeParse({ name: DENIED_STATEMENT, sql: DENIED_SQL, paramTypes: [] }))]
  }

  #onFunctionCall (frame: Frame): Action[] {
    const oid = decodeFunctionCallOid(frame.body)
    const d = this.#decide({ text: `<function call ${oid}>`, statements: [{ operation: 'call', tables: [] }] }, 'request')
    if (isAllowedByRule(d.decision)) {
      this.#replies.push({ reply: 'function-call', audit: d.entry, sentAt: this.#now() })
      return [toServer(frame.raw)]
    }
    // A failing Query answers with the same ErrorResponse + ReadyForQuery a failed FunctionCall gets.
    this.#replies.push({ reply: 'function-call', denial: pgError.policyDenied(d.decision) })
    return [d.audit, toServer(encodeQuery({ sql: DENIED_SQL }))]
  }

  /** The masks a decision puts on what the server sends back (undefined: none, or masking is off). */
  #maskingOf (decision: Decision): ResponseMasking | undefined {
    const masking = this.#opts.masking?.forMasks(decision.masks)
    if (masking !== undefined) this.#lastMasking = masking
    return masking
  }

  #rememberPortal (name: string, masks: PortalMasks): void {
    // Until something was masked every portal would be remembered as unmasked, which is also what a
    // portal not remembered gets: nothing to keep (this is every Bind of a session without masks).
    if (this.#lastMasking === undefined) return
    this.#portalMasks.delete(name)
    this.#portalMasks.set(name, masks)
    if (this.#portalMasks.size > MAX_REMEMBERED_PORTALS) this.#portalMasks.delete(this.#portalMasks.keys().next().value as string)
  }

  /**
   * What an Execute or Describe of a portal masks. A portal this session bound but no longer remembers
   * gets the latest masks it saw: masking too much is the safe way to be wrong.
   */
  #portalMasking (name: string): PortalMasks | undefined {
    return this.#portalMasks.get(name) ?? (this.#lastMasking !== undefined ? { masking: this.#lastMasking } : undefined)
  }

  /** gatehouse refuses an allowed statement whose output it cannot mask: denied, with the reason. */
  #refused (d: { decision: Decision; entry: AuditEntry }, reason: string): { error: ErrorFields; audit: Action } {
    const decision: Decision = { ...d.decision, action: 'deny', message: reason }
    return { error: pgError.unmaskable(reason, decision), audit: { kind: 'audit', entry: { ...d.entry, decision } } }
  }

  /**
   * SQL PREPARE makes a statement the extended protocol can Bind: remembered with what it does (its
   * facts are its query's), so a Bind to it is decided and masked like a Parse's. DEALLOCATE and DISCARD
   * ALL drop statements behind the protocol's back. A statement we still remember is harmless (the
   * server rejects a Bind to it); one we forgot would be bound undecided.
   */
  #trackSqlPrepared (facts: SqlFacts): void {
    if (facts.statements.length !== 1) return
    const prepared = PREPARE.exec(facts.text)
    if (prepared !== null) this.#statements.set(sqlName(prepared[1]), { sql: facts.text, facts })
    const op = facts.statements[0].operation
    if (op === 'discard' && DISCARD_ALL.test(facts.text)) this.#statements.clear()
    if (op !== 'deallocate') return
    const m = DEALLOCATE.exec(facts.text)
    if (m === null) return
    if (m[1].toLowerCase() === 'all') this.#statements.clear()
    else this.#statements.delete(sqlName(m[1]))
  }

  /** Decides an event; `audit` records it now (denials), `entry` is for recording once the reply is in. */
  #decide (sql: SqlFacts, phase: GatewayEvent['phase']): { decision: Decision; entry: AuditEntry; audit: Action } {
    assert(this.#identity !== undefined && this.#eventSession !== undefined, 'decision before login')
    const event: GatewayEvent = {
      id: this.#opts.newId(),
      session: this.#eventSession,
      identity: this.#identity,
      phase,
      sql
    }
    const decision = this.#opts.policy.current().decide(event)
    const entry: AuditEntry = { event, decision, requestId: event.id, summary: { sql: this.#opts.sql.normalize(sql.text) } }
    return { decision, entry, audit: { kind: 'audit', entry } }
  }
}

const toServer = (bytes: Buffer): Action => ({ kind: 'to-server', bytes })

/** An SQL identifier as the server names it: quoted as written, unquoted folded to lower case. */
const sqlName = (word: string): string => word.startsWith('"') ? word.slice(1, -1).replaceAll('""', '"') : word.toLowerCase()

/** The COPY ... TO STDOUT statements of an SQL text (none unless it holds a COPY). */
function copiesOf (facts: SqlFacts): CopyOutStatement[] | undefined {
  if (!facts.statements.some((s) => s.operation === 'copy')) return undefined
  const copies = copyOutStatements(facts.text)
  return copies.length > 0 ? copies : undefined
}

/** Why COPY output under these masks cannot be relayed, if it cannot. */
function refuseCopy (copies: readonly CopyOutStatement[] | undefined, masking: ResponseMasking | undefined): string | undefined {
  if (copies === undefined || masking === undefined) return undefined
  for (const c of copies) {
    const refusal = copyOutRefusal(c, masking)
    if (refusal !== undefined) return refusal
  }
  return undefined
}

/** Settings that change whose privileges the upstream session runs with: SQL must do that (SET ROLE),
 *  where policy sees it as `set_role`, never a startup parameter that no rule would see. */
const ROLE_SETTINGS = new Set(['role', 'session_authorization'])

/** The first role-changing setting among the startup parameters or inside `options` (-c x=y, --x=y). */
function roleChangingParameter (params: Record<string, string>): string | undefined {
  for (const name of Object.keys(params)) if (ROLE_SETTINGS.has(name.toLowerCase())) return name
  const options = params.options
  if (options === undefined) return undefined
  // libpq's options: whitespace-separated, backslash escapes the next character.
  const words = options.match(/(?:\\.|[^\s\\])+/g) ?? []
  for (let i = 0; i < words.length; i++) {
    const w = words[i].replace(/\\(.)/g, '$1')
    const setting = w === '-c' ? words[++i]?.replace(/\\(.)/g, '$1') : w.startsWith('--') ? w.slice(2) : w.startsWith('-c') ? w.slice(2) : undefined
    const name = setting?.split('=')[0].toLowerCase().replaceAll('-', '_')
    if (name !== undefined && ROLE_SETTINGS.has(name)) return `options ${name}`
  }
  return undefined
}

/** FunctionCall and replication are refused unless a rule (not the default) allows them. */
const isAllowedByRule = (d: Decision): boolean => d.action === 'allow' && d.rules.length > 0
