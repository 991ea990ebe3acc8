import { createServer, type Server, type Socket } from 'node:net'
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { ListenerConfig } from '../config/index.js'
import type { Logger } from '../log/index.js'
import type { ConnectionInfo, ProtocolPlugin } from '../plugin/index.js'
import type { TlsMaterial } from '../tls/index.js'
import { sortableId } from '../events/index.js'
import { isTlsClientHello, sniff } from './sniff.js'

/** Bytes read before giving up on recognising a protocol: far more than any first message needs. */
const MAX_SNIFF_BYTES = 16 * 1024

/** ALPN names and the plugin each selects (PG17 direct SSL uses `postgresql`). */
const ALPN_PLUGIN: Record<string, ProtocolPlugin['name']> = { postgresql: 'postgres', 'http/1.1': 'http-llm' }

export interface ListenerOptions {
  config: ListenerConfig
  plugins: ProtocolPlugin[]
  tls: TlsMaterial | undefined
  handshakeTimeoutMs: number
  log: Logger
}

/**
 * One configured listener: accepts sockets, sniffs the first bytes, terminates TLS when a ClientHello
 * arrives, and hands each connection to the plugin that recognised it.
 */
export class Listener {
  readonly #opts: ListenerOptions
  readonly #server: Server
  readonly #secureContext: SecureContext | undefined
  readonly #pending = new Set<Duplex>()
  #address: { host: string; port: number } | undefined

  constructor (opts: ListenerOptions) {
    this.#opts = opts
    this.#secureContext = opts.tls !== undefined ? createSecureContext({ key: opts.tls.key, cert: opts.tls.cert }) : undefined
    this.#server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => { this.#accept(socket) })
  }

  get name (): string { return this.#opts.config.name }
  get address (): { host: string; port: number } | undefined { return this.#address }

  async listen (): Promise<{ host: string; port: number }> {
    const { host, port } = this.#opts.config
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    const addr = this.#server.address() as { address: string; port: number }
    this.#address = { host: addr.address, port: addr.port }
    return this.#address
  }

  /** Stops accepting and drops connections still being sniffed; handed-over ones belong to plugins. */
  async close (): Promise<void> {
    for (const s of this.#pending) s.destroy()
    if (!this.#server.listening) return
    await new Promise<void>((resolve) => { this.#server.close(() => { resolve() }) })
  }

  #accept (socket: Socket): void {
    const id = sortableId()
    const remoteAddress = socket.remoteAddress ?? 'unknown'
    const log = this.#opts.log.child({ conn: id, listener: this.name, client: remoteAddress })
    const base = {
      id,
      listener: this.#opts.config,
      remoteAddress,
      isLoopback: isLoopbackAddress(remoteAddress),
      log,
      ...(this.#secureContext !== undefined ? { startTls: async (s: Socket) => await this.#startTls(s) } : {})
    }
    this.#readHead(socket, base, false)
  }

  /** Reads until a plugin (or TLS) recognises the bytes, within the handshake deadline. */
  #readHead (socket: Duplex, conn: Omit<ConnectionInfo, 'encrypted'>, encrypted: boolean, alpn?: string): void {
    const { log } = conn
    this.#pending.add(socket)
    let head: Buffer = Buffer.alloc(0)
    let settled = false
    const finish = (): void => {
      settled = true
      clearTimeout(timer)
      this.#pending.delete(socket)
      socket.off('data', onData)
      socket.off('close', onClose)
      socket.off('error', onError)
    }
    const drop = (level: 'info' | 'warn', msg: string): void => {
      finish()
      log[level]({ bytes: head.length }, msg)
      socket.destroy()
    }
    const timer = setTimeout(() => { drop('info', 'connection closed: no protocol handshake within the deadline') }, this.#opts.handshakeTimeoutMs)
    const onClose = (): void => { if (!settled) drop('info', 'client disconnected before its protocol handshake') }
    const onError = (err: Error): void => { if (!settled) drop('info', `connection error before handshake: ${err.message}`) }
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk])
      const verdict = sniff(head, this.#opts.plugins, !encrypted && this.#secureContext !== undefined)
      if (verdict.kind === 'need-more' && head.length < MAX_SNIFF_BYTES) return
      socket.pause()
      if (verdict.kind === 'tls') {
        finish()
        socket.unshift(head)
        this.#terminateTls(socket as Socket, conn)
        return
      }
      if (verdict.kind !== 'plugin') {
        const why = !encrypted && isTlsClientHello(head) ? 'TLS ClientHello on a listener with tls off' : 'unrecognised protocol'
        drop('warn', `connection closed: ${why}`)
        return
      }
      finish()
      socket.unshift(head)
      this.#handOver(verdict.plugin, socket, { ...conn, encrypted, ...(alpn !== undefined ? { alpn } : {}) })
    }
    socket.on('data', onData)
    socket.on('close', onClose)
    socket.on('error', onError)
  }

  #handOver (plugin: ProtocolPlugin, socket: Duplex, conn: ConnectionInfo): void {
    conn.log.debug({ protocol: plugin.name, tls: conn.encrypted }, 'connection handed to plugin')
    plugin.handle(socket, conn)
    // handle() attached its readers synchronously; the bytes core read are first in line.
    socket.resume()
  }

  #terminateTls (socket: Socket, conn: Omit<ConnectionInfo, 'encrypted'>): void {
    const tlsSocket = this.#wrapTls(socket)
    this.#pending.add(tlsSocket)
    const timer = setTimeout(() => { tlsSocket.destroy() }, this.#opts.handshakeTimeoutMs)
    tlsSocket.once('secure', () => {
      clearTimeout(timer)
      this.#pending.delete(tlsSocket)
      const alpn = typeof tlsSocket.alpnProtocol === 'string' ? tlsSocket.alpnProtocol : undefined
      const byAlpn = alpn !== undefined ? this.#opts.plugins.find((p) => p.name === ALPN_PLUGIN[alpn]) : undefined
      const tlsConn = { ...conn, encrypted: true, ...(alpn !== undefined ? { alpn } : {}) }
      if (byAlpn !== undefined) this.#handOver(byAlpn, tlsSocket, tlsConn)
      else this.#readHead(tlsSocket, conn, true, alpn)
    })
    tlsSocket.once('error', (err) => {
      clearTimeout(timer)
      this.#pending.delete(tlsSocket)
      conn.log.info(`TLS handshake failed: ${err.message}`)
      tlsSocket.destroy()
      socket.destroy()
    })
    // No resume() on the raw socket: the TLS wrap owns its handle now and reads the unshifted
    // ClientHello itself; resuming the raw stream would steal the encrypted bytes.
  }

  /** Server-side TLS over an accepted socket; offers only the ALPN names of this listener's plugins. */
  #wrapTls (socket: Socket): TLSSocket {
    const names = this.#opts.plugins.map((p) => p.name)
    return new TLSSocket(socket, {
      isServer: true,
      secureContext: this.#secureContext,
      ALPNCallback: ({ protocols }) => protocols.find((p) => ALPN_PLUGIN[p] !== undefined && names.includes(ALPN_PLUGIN[p]))
    })
  }

  /** For in-protocol upgrades (Postgres SSLRequest): resolves once the handshake completed. */
  async #startTls (socket: Socket): Promise<TLSSocket> {
    const tlsSocket = this.#wrapTls(socket)
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { tlsSocket.destroy(new Error('TLS handshake timed out')) }, this.#opts.handshakeTimeoutMs)
      tlsSocket.once('secure', () => { clearTimeout(timer); resolve(tlsSocket) })
      tlsSocket.once('error', (err) => { clearTimeout(timer); reject(err) })
    })
  }
}

export function isLoopbackAddress (address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.')
}
