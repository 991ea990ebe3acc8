import { ProtocolError } from '../../../core/errors.js'
import { FRONTEND, Reader, Writer } from '../codec/index.js'

/** Describe (F): of a prepared statement ('S') or a portal ('P'). @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-DESCRIBE */
export const DESCRIBE = FRONTEND.DESCRIBE
export const STATEMENT_TARGET = 0x53 // 'S'
export const PORTAL_TARGET = 0x50 // 'P'

export interface Describe { target: 'statement' | 'portal'; name: string }

/** Decodes the body shared by Describe and Close: a target byte and a name. */
export function decodeTargetAndName (body: Buffer, what: string): { target: 'statement' | 'portal'; name: string } {
  const r = new Reader(body)
  const t = r.byte()
  if (t !== STATEMENT_TARGET && t !== PORTAL_TARGET) throw new ProtocolError(`${what}: invalid target byte ${t}`)
  const name = r.cstring()
  r.end(what)
  return { target: t === STATEMENT_TARGET ? 'statement' : 'portal', name }
}

export const decodeDescribe = (body: Buffer): Describe => decodeTargetAndName(body, 'Describe')

export const encodeDescribe = (m: Describe): Buffer =>
  new Writer().byte(m.target === 'statement' ? STATEMENT_TARGET : PORTAL_TARGET).cstring(m.name).frame(DESCRIBE)
