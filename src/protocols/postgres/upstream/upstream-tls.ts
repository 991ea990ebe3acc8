import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { isIP, type Socket } from 'node:net'
import { readFileSync } from 'node:fs'
import { UpstreamError } from '../../../core/errors.js'
import type { UpstreamTlsMode } from '../../../core/config/index.js'
import { SSL_ACCEPTED, SSL_REFUSED } from '../codec/index.js'
import { encodeSslRequest } from '../messages/ssl-request.js'
import { FrameSource } from './frame-source.js'

export interface UpstreamTlsOptions {
  mode: UpstreamTlsMode
  host: string
  /** CA bundle file for verify-full; the system store when absent. */
  caFile?: string
}

/**
 * Negotiates TLS the libpq way (sslmode): disable sends nothing; prefer asks and falls back to plaintext
 * on 'N'; require insists but does not verify; verify-full checks the chain and the host name.
 * @see https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION
 */
export async function negotiateUpstreamTls (socket: Socket, opts: UpstreamTlsOptions): Promise<Socket | TLSSocket> {
  if (opts.mode === 'disable') return socket
  const source = new FrameSource(socket, 1)
  socket.write(encodeSslRequest())
  let answer: number
  try {
    answer = await source.byte()
  } finally {
    source.release()
  }
  if (answer === SSL_REFUSED) {
    if (opts.mode === 'prefer') return socket
    throw new UpstreamError(`upstream does not accept TLS (upstream_tls: ${opts.mode})`)
  }
  if (answer !== SSL_ACCEPTED) throw new UpstreamError('upstream answered SSLRequest with neither S nor N')
  const verify = opts.mode === 'verify-full'
  const tls = tlsConnect({
    socket,
    rejectUnauthorized: verify,
    ...(isIP(opts.host) === 0 ? { servername: opts.host } : {}),
    ...(verify && opts.caFile !== undefined ? { ca: readFileSync(opts.caFile) } : {}),
    // checkServerIdentity needs the host even when it is an IP (no SNI for those).
    host: opts.host
  })
  await new Promise<void>((resolve, reject) => {
    tls.once('secureConnect', resolve)
    tls.once('error', (err) => { reject(new UpstreamError(`upstream TLS failed: ${err.message}`, { cause: err })) })
  })
  return tls
}
