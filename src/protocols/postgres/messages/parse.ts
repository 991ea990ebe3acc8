import { FRONTEND, Reader, Writer } from '../codec/index.js'

/** Parse (F): prepares a statement, named or unnamed (''). @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PARSE */
export const PARSE = FRONTEND.PARSE
export interface Parse {
  /** cstring: statement name, '' is the unnamed statement. */
  name: string
  /** cstring: the SQL text (one statement). */
  sql: string
  /** int16 count + int32 type OIDs; 0 leaves a parameter's type unspecified. */
  paramTypes: number[]
}

export function decodeParse (body: Buffer): Parse {
  const r = new Reader(body)
  const name = r.cstring()
  const sql = r.cstring()
  const n = r.count16('parameter type')
  const paramTypes: number[] = []
  for (let i = 0; i < n; i++) paramTypes.push(r.int32() >>> 0)
  r.end('Parse')
  return { name, sql, paramTypes }
}

export function encodeParse (m: Parse): Buffer {
  const w = new Writer().cstring(m.name).cstring(m.sql).int16(m.paramTypes.length)
  for (const t of m.paramTypes) w.int32(t | 0)
  return w.frame(PARSE)
}
