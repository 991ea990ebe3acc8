import { BACKEND, Reader, Writer } from '../codec/index.js'

/**
 * NegotiateProtocolVersion (B): the newest minor version we speak and the _pq_ options we ignored.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-NEGOTIATEPROTOCOLVERSION
 */
export const NEGOTIATE_PROTOCOL_VERSION = BACKEND.NEGOTIATE_PROTOCOL_VERSION
export interface NegotiateProtocolVersion { newestMinor: number; unsupportedOptions: string[] }

export function decodeNegotiateProtocolVersion (body: Buffer): NegotiateProtocolVersion {
  const r = new Reader(body)
  const newestMinor = r.int32()
  const n = r.int32()
  const unsupportedOptions: string[] = []
  for (let i = 0; i < n; i++) unsupportedOptions.push(r.cstring())
  r.end('NegotiateProtocolVersion')
  return { newestMinor, unsupportedOptions }
}

export function encodeNegotiateProtocolVersion (m: NegotiateProtocolVersion): Buffer {
  const w = new Writer().int32(m.newestMinor).int32(m.unsupportedOptions.length)
  for (const o of m.unsupportedOptions) w.cstring(o)
  return w.frame(NEGOTIATE_PROTOCOL_VERSION)
}
