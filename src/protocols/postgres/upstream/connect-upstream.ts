import { connect as netConnect, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { Parser } from 'pg-protocol/dist/parser.js'
import { serialize } from 'pg-protocol'
import type { BackendMessage } from 'pg-protocol/dist/messages.js'
import { UpstreamError } from '../../../core/errors.js'
import { readSecret, type PostgresTargetConfig } from '../../../core/config/index.js'
import { BACKEND, STARTUP_CODE, type Frame } from '../codec/index.js'
import { encodeStartupMessage } from '../messages/startup-message.js'
import { decodeBackendKeyData, type BackendKeyData } from '../messages/backend-key-data.js'
import { decodeErrorFields } from '../messages/error-response.js'
import { FrameSource } from './frame-source.js'
import { md5PasswordResponse } from './md5-password.js'
import { SCRAM_SHA_256, ScramSha256Client } from './scram-sha-256.js'
import { negotiateUpstreamTls } from './upstream-tls.js'
import { upstreamAddress } from './upstream-address.js'

/** Largest message accepted from a server: PostgreSQL's own allocation limit (MaxAllocSize, 1 GiB). */
export const MAX_SERVER_MESSAGE_BYTES = 1024 * 1024 * 1024

export interface UpstreamConnectOptions {
  target: PostgresTargetConfig
  /** The client's startup parameters to pass on (user and database already removed). */
  params: Record<string, string>
  timeoutMs: number
  env?: NodeJS.ProcessEnv
}

/** A logged-in upstream session, ready for queries. */
export interface UpstreamSession {
  socket: Socket | TLSSocket
  /** The server's key, quoted when a client cancels. */
  key: BackendKeyData
  /** ParameterStatus and NoticeResponse frames of the start-up, to relay to the client in order. */
  startupFrames: Frame[]
  /** The ReadyForQuery that ended the start-up. */
  readyForQuery: Frame
  /** Bytes that arrived after it (normally none). */
  leftover: Buffer
}

/** TCP connect with a deadline; the socket is returned paused. */
export async function openSocket (host: string, port: number, timeoutMs: number): Promise<Socket> {
  const socket = netConnect({ host, port, noDelay: true })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new UpstreamError(`connect to ${host}:${port} timed out`)) }, timeoutMs)
      socket.once('connect', () => { clearTimeout(timer); resolve() })
      socket.once('error', (err) => { clearTimeout(timer); reject(new UpstreamError(`cannot reach ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { cause: err })) })
    })
  } catch (err) {
    socket.destroy()
    throw err
  }
  return socket
}

/** Decodes a server frame with pg-protocol (used only for the handful of start-up messages). */
function parseServerFrame (frame: Frame): BackendMessage {
  let out: BackendMessage | undefined
  new Parser().parse(frame.raw, (m) => { out = m })
  if (out === undefined) throw new UpstreamError('upstream sent an unreadable message')
  return out
}

/**
 * Connects to a target and logs in with its injected credentials (SCRAM-SHA-256, md5 or cleartext), over
 * TLS as `upstream_tls` says. The password is read at this moment, so rotating it needs no restart.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
export async function connectUpstream (opts: UpstreamConnectOptions): Promise<UpstreamSession> {
  const addr = upstreamAddress(opts.target)
  const raw = await openSocket(addr.host, addr.port, opts.timeoutMs)
  let socket: Socket | TLSSocket = raw
  const timer = setTimeout(() => { socket.destroy(new UpstreamError('upstream start-up timed out')) }, opts.timeoutMs)
  try {
    socket = await negotiateUpstreamTls(raw, { mode: opts.target.upstreamTls, host: addr.host, ...(opts.target.upstreamCa !== undefined ? { caFile: opts.target.upstreamCa } : {}) })
    const source = new FrameSource(socket, MAX_SERVER_MESSAGE_BYTES)
    socket.resume()
    socket.write(encodeStartupMessage({ version: STARTUP_CODE.PROTOCOL_3_0, params: { ...opts.params, user: addr.user, database: addr.database } }))
    await authenticate(socket, source, opts, addr.user)
    const startupFrames: Frame[] = []
    let key: BackendKeyData | undefined
    for (;;) {
      const f = await source.next()
      if (f.code === BACKEND.READY_FOR_QUERY) {
        if (key === undefined) throw new UpstreamError('upstream sent no BackendKeyData')
        return { socket, key, startupFrames, readyForQuery: f, leftover: source.release() }
      }
      if (f.code === BACKEND.BACKEND_KEY_DATA) key = decodeBackendKeyData(f.body)
      else if (f.code === BACKEND.PARAMETER_STATUS || f.code === BACKEND.NOTICE_RESPONSE) startupFrames.push(f)
      else if (f.code === BACKEND.ERROR_RESPONSE) throw new UpstreamError(`upstream refused the session: ${decodeErrorFields(f.body).message}`)
      else if (f.code !== BACKEND.NEGOTIATE_PROTOCOL_VERSION) throw new UpstreamError(`unexpected message ${String.fromCharCode(f.code)} during upstream start-up`)
    }
  } catch (err) {
    socket.destroy()
    throw err instanceof UpstreamError ? err : new UpstreamError(`upstream start-up failed: ${(err as Error).message}`, { cause: err })
  } finally {
    clearTimeout(timer)
  }
}

function targetPassword (opts: UpstreamConnectOptions): string {
  const t = opts.target
  if (t.passwordEnv === undefined && t.passwordFile === undefined) throw new UpstreamError(`upstream asks for a password and target ${t.name} has none configured`)
  return readSecret({ env: t.passwordEnv, file: t.passwordFile }, `targets.${t.name}`, opts.env)
}

async function authenticate (socket: Socket | TLSSocket, source: FrameSource, opts: UpstreamConnectOptions, user: string): Promise<void> {
  let scram: ScramSha256Client | undefined
  for (;;) {
    const f = await source.next()
    if (f.code === BACKEND.ERROR_RESPONSE) throw new UpstreamError(`upstream refused the login: ${decodeErrorFields(f.body).message}`)
    if (f.code === BACKEND.NOTICE_RESPONSE) continue
    if (f.code !== BACKEND.AUTHENTICATION) throw new UpstreamError(`unexpected message ${String.fromCharCode(f.code)} during upstream authentication`)
    const m = parseServerFrame(f) as BackendMessage & { mechanisms?: string[]; salt?: Buffer; data?: string }
    switch (m.name) {
      case 'authenticationOk':
        return
      case 'authenticationCleartextPassword':
        socket.write(serialize.password(targetPassword(opts)))
        break
      case 'authenticationMD5Password':
        socket.write(serialize.password(md5PasswordResponse(user, targetPassword(opts), m.salt as Buffer)))
        break
      case 'authenticationSASL':
        if (!(m.mechanisms ?? []).includes(SCRAM_SHA_256)) throw new UpstreamError(`upstream offers no supported SASL mechanism (${(m.mechanisms ?? []).join(', ')})`)
        scram = new ScramSha256Client(targetPassword(opts))
        socket.write(serialize.sendSASLInitialResponseMessage(SCRAM_SHA_256, scram.clientFirst()))
        break
      case 'authenticationSASLContinue':
        if (scram === undefined) throw new UpstreamError('SASLContinue before SASL')
        socket.write(serialize.sendSCRAMClientFinalMessage(await scram.clientFinal(m.data ?? '')))
        break
      case 'authenticationSASLFinal':
        if (scram === undefined) throw new UpstreamError('SASLFinal before SASL')
        scram.verifyServerFinal(m.data ?? '')
        break
      default:
        throw new UpstreamError(`upstream asks for an unsupported authentication method (${m.name})`)
    }
  }
}
