import { ProtocolError } from '../../../core/errors.js'
import { BACKEND, Reader, Writer } from '../codec/index.js'

/** CopyOutResponse (B): a COPY ... TO STDOUT begins. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COPYOUTRESPONSE */
export const COPY_OUT_RESPONSE = BACKEND.COPY_OUT_RESPONSE

export interface CopyOutResponse {
  /** 'text' covers both COPY text and CSV: the server does not say which. */
  format: 'text' | 'binary'
  /** Per column: 0 text, 1 binary (all equal to the overall format in COPY). */
  columnFormats: number[]
}

export function decodeCopyOutResponse (body: Buffer): CopyOutResponse {
  const r = new Reader(body)
  const overall = r.byte()
  if (overall !== 0 && overall !== 1) throw new ProtocolError(`CopyOutResponse: invalid format ${overall}`)
  const n = r.count16('column')
  const columnFormats: number[] = []
  for (let i = 0; i < n; i++) columnFormats.push(r.int16())
  r.end('CopyOutResponse')
  return { format: overall === 1 ? 'binary' : 'text', columnFormats }
}

export function encodeCopyOutResponse (m: CopyOutResponse): Buffer {
  const w = new Writer().byte(m.format === 'binary' ? 1 : 0).int16(m.columnFormats.length)
  for (const f of m.columnFormats) w.int16(f)
  return w.frame(COPY_OUT_RESPONSE)
}
