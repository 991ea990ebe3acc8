import { FRONTEND, Reader, Writer } from '../codec/index.js'

/** Execute (F): runs a portal, up to maxRows rows (0 = all). @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-EXECUTE */
export const EXECUTE = FRONTEND.EXECUTE
export interface Execute { portal: string; maxRows: number }

export function decodeExecute (body: Buffer): Execute {
  const r = new Reader(body)
  const m = { portal: r.cstring(), maxRows: r.int32() }
  r.end('Execute')
  return m
}

export const encodeExecute = (m: Execute): Buffer => new Writer().cstring(m.portal).int32(m.maxRows).frame(EXECUTE)
