import { ProtocolError } from '../../../core/errors.js'
import { BACKEND, Reader } from '../codec/index.js'

/** DataRow (B): one row; a value is bytes, or null for SQL NULL (length -1), never confused with empty. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-DATAROW */
export const DATA_ROW = BACKEND.DATA_ROW
export interface DataRow { values: Array<Buffer | null> }

export function decodeDataRow (body: Buffer): DataRow {
  const r = new Reader(body)
  const n = r.count16('column')
  const values: Array<Buffer | null> = []
  for (let i = 0; i < n; i++) {
    const len = r.int32()
    if (len < -1) throw new ProtocolError(`invalid column length ${len}`)
    values.push(len === -1 ? null : r.bytes(len))
  }
  r.end('DataRow')
  return { values }
}

/** One allocation: masking re-encodes every masked row, so this is on the hot path. */
export function encodeDataRow (m: DataRow): Buffer {
  let length = 4 + 2
  for (const v of m.values) length += 4 + (v === null ? 0 : v.length)
  const out = Buffer.allocUnsafe(1 + length)
  out[0] = DATA_ROW
  out.writeInt32BE(length, 1)
  out.writeInt16BE(m.values.length, 5)
  let pos = 7
  for (const v of m.values) {
    out.writeInt32BE(v === null ? -1 : v.length, pos)
    pos += 4
    if (v !== null) pos += v.copy(out, pos)
  }
  return out
}
