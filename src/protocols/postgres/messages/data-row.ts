import { ProtocolError } from '../../../core/errors.js'
import { BACKEND, Reader, Writer } from '../codec/index.js'

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

export function encodeDataRow (m: DataRow): Buffer {
  const w = new Writer().int16(m.values.length)
  for (const v of m.values) {
    if (v === null) w.int32(-1)
    else w.int32(v.length).bytes(v)
  }
  return w.frame(DATA_ROW)
}
