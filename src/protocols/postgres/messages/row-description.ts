import { ProtocolError } from '../../../core/errors.js'
import { BACKEND, Reader, Writer } from '../codec/index.js'

/** RowDescription (B): one entry per result column. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ROWDESCRIPTION */
export const ROW_DESCRIPTION = BACKEND.ROW_DESCRIPTION

export const TEXT_FORMAT = 0
export const BINARY_FORMAT = 1

export interface FieldDescription {
  name: string
  /** OID of the table the column comes from (the view's for a view column); 0 for an expression. */
  tableOid: number
  /** The column's attribute number in that table; 0 for an expression. */
  attnum: number
  typeOid: number
  /** pg_type.typlen: negative for variable width. */
  typeSize: number
  typeModifier: number
  /** 0 text, 1 binary. */
  format: number
}

export interface RowDescription { fields: FieldDescription[] }

export function decodeRowDescription (body: Buffer): RowDescription {
  const r = new Reader(body)
  const n = r.count16('field')
  const fields: FieldDescription[] = []
  for (let i = 0; i < n; i++) {
    const name = r.cstring()
    // OIDs are unsigned on the wire.
    const tableOid = r.int32() >>> 0
    const attnum = r.int16()
    const typeOid = r.int32() >>> 0
    const typeSize = r.int16()
    const typeModifier = r.int32()
    const format = r.int16()
    if (format !== TEXT_FORMAT && format !== BINARY_FORMAT) throw new ProtocolError(`RowDescription: invalid format code ${format}`)
    fields.push({ name, tableOid, attnum, typeOid, typeSize, typeModifier, format })
  }
  r.end('RowDescription')
  return { fields }
}

export function encodeRowDescription (m: RowDescription): Buffer {
  const w = new Writer().int16(m.fields.length)
  for (const f of m.fields) {
    w.cstring(f.name).int32(f.tableOid | 0).int16(f.attnum).int32(f.typeOid | 0).int16(f.typeSize).int32(f.typeModifier).int16(f.format)
  }
  return w.frame(ROW_DESCRIPTION)
}
