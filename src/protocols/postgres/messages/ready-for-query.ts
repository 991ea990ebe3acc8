import { ProtocolError } from '../../../core/errors.js'
import { BACKEND, Reader, Writer } from '../codec/index.js'

/** ReadyForQuery (B): the server waits for a new query; carries the transaction status. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-READYFORQUERY */
export const READY_FOR_QUERY = BACKEND.READY_FOR_QUERY

/** 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
export type TransactionStatus = 'I' | 'T' | 'E'

export function decodeReadyForQuery (body: Buffer): TransactionStatus {
  const r = new Reader(body)
  const s = String.fromCharCode(r.byte())
  r.end('ReadyForQuery')
  if (s !== 'I' && s !== 'T' && s !== 'E') throw new ProtocolError(`invalid transaction status ${JSON.stringify(s)}`)
  return s
}

export const encodeReadyForQuery = (status: TransactionStatus): Buffer => new Writer().byte(status.charCodeAt(0)).frame(READY_FOR_QUERY)
