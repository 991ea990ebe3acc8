import { ProtocolError } from '../../../core/errors.js'
import { FRONTEND, Reader, Writer } from '../codec/index.js'

/** Bind (F): makes a portal from a prepared statement and parameter values. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-BIND */
export const BIND = FRONTEND.BIND
/** Format codes: 0 text, 1 binary. */
export const TEXT_FORMAT = 0
export const BINARY_FORMAT = 1

export interface Bind {
  /** cstring: destination portal, '' is the unnamed portal. */
  portal: string
  /** cstring: source statement. */
  statement: string
  /** int16 count + int16 codes: none means all text, one applies to all, else one per parameter. */
  paramFormats: number[]
  /** int16 count + (int32 length, bytes); length -1 is NULL, which is not an empty value. */
  params: Array<Buffer | null>
  /** int16 count + int16 codes, same rule as paramFormats, for result columns. */
  resultFormats: number[]
}

export function decodeBind (body: Buffer): Bind {
  const r = new Reader(body)
  const portal = r.cstring()
  const statement = r.cstring()
  const nf = r.count16('parameter format')
  const paramFormats: number[] = []
  for (let i = 0; i < nf; i++) paramFormats.push(r.int16())
  const np = r.count16('parameter')
  if (nf > 1 && nf !== np) throw new ProtocolError(`Bind has ${nf} parameter formats for ${np} parameters`)
  const params: Array<Buffer | null> = []
  for (let i = 0; i < np; i++) {
    const len = r.int32()
    if (len < -1) throw new ProtocolError(`invalid parameter length ${len}`)
    params.push(len === -1 ? null : r.bytes(len))
  }
  const nr = r.count16('result format')
  const resultFormats: number[] = []
  for (let i = 0; i < nr; i++) resultFormats.push(r.int16())
  r.end('Bind')
  return { portal, statement, paramFormats, params, resultFormats }
}

export function encodeBind (m: Bind): Buffer {
  const w = new Writer().cstring(m.portal).cstring(m.statement).int16(m.paramFormats.length)
  for (const f of m.paramFormats) w.int16(f)
  w.int16(m.params.length)
  for (const p of m.params) {
    if (p === null) w.int32(-1)
    else w.int32(p.length).bytes(p)
  }
  w.int16(m.resultFormats.length)
  for (const f of m.resultFormats) w.int16(f)
  return w.frame(BIND)
}

/** Parameter values as policy and audit see them: text as sent, binary as \\x hex, NULL as null. */
export function bindParamsAsText (m: Bind): Array<string | null> {
  return m.params.map((p, i) => {
    if (p === null) return null
    const format = m.paramFormats.length === 0 ? TEXT_FORMAT : m.paramFormats.length === 1 ? m.paramFormats[0] : m.paramFormats[i]
    return format === BINARY_FORMAT ? `\\x${p.toString('hex')}` : p.toString('utf8')
  })
}
