import { BACKEND, Reader, Writer } from '../codec/index.js'

/** BackendKeyData (B): the key a client quotes in a CancelRequest. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-BACKENDKEYDATA */
export const BACKEND_KEY_DATA = BACKEND.BACKEND_KEY_DATA
export interface BackendKeyData { processId: number; secretKey: number }

/** Protocol 3.0 shape (int32 secret); longer 3.2 keys are refused by the caller. */
export function decodeBackendKeyData (body: Buffer): BackendKeyData {
  const r = new Reader(body)
  const m = { processId: r.int32(), secretKey: r.int32() }
  r.end('BackendKeyData')
  return m
}

export const encodeBackendKeyData = (m: BackendKeyData): Buffer =>
  new Writer().int32(m.processId).int32(m.secretKey).frame(BACKEND_KEY_DATA)
