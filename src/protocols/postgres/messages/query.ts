import { FRONTEND, Reader, Writer } from '../codec/index.js'

/** Query (F): one simple-protocol query string, possibly several statements. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-QUERY */
export const QUERY = FRONTEND.QUERY
export interface Query { sql: string }

export function decodeQuery (body: Buffer): Query {
  const r = new Reader(body)
  const sql = r.cstring()
  r.end('Query')
  return { sql }
}

export const encodeQuery = (m: Query): Buffer => new Writer().cstring(m.sql).frame(QUERY)
