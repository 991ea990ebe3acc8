import { ProtocolError } from '../../../core/errors.js'
import { Reader, Writer } from '../codec/index.js'

/** StartupMessage (F): protocol version and name/value parameters (user, database, options, ...). @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-STARTUPMESSAGE */
export interface StartupMessage {
  /** major << 16 | minor, e.g. 196608 for 3.0. */
  version: number
  params: Record<string, string>
}

/** Decodes the body after the length (version first). */
export function decodeStartupMessage (body: Buffer): StartupMessage {
  const r = new Reader(body)
  const version = r.int32()
  const params: Record<string, string> = Object.create(null)
  for (;;) {
    const name = r.cstring()
    if (name === '') break
    if (name in params) throw new ProtocolError(`startup parameter "${name}" given twice`)
    params[name] = r.cstring()
  }
  r.end('StartupMessage')
  return { version, params }
}

/** Encodes a StartupMessage. */
export function encodeStartupMessage (m: StartupMessage): Buffer {
  const w = new Writer().int32(m.version)
  for (const [k, v] of Object.entries(m.params)) w.cstring(k).cstring(v)
  return w.byte(0).untypedFrame()
}
