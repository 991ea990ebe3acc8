import { Reader, STARTUP_CODE, Writer } from '../codec/index.js'

/**
 * CancelRequest (F), protocol 3.0 shape: the process id and secret key from BackendKeyData.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-CANCELREQUEST
 */
export interface CancelRequest { processId: number; secretKey: number }

/** Decodes the body after the length (request code first). */
export function decodeCancelRequest (body: Buffer): CancelRequest {
  const r = new Reader(body)
  r.int32()
  const m = { processId: r.int32(), secretKey: r.int32() }
  r.end('CancelRequest')
  return m
}

export const encodeCancelRequest = (m: CancelRequest): Buffer =>
  new Writer().int32(STARTUP_CODE.CANCEL_REQUEST).int32(m.processId).int32(m.secretKey).untypedFrame()
