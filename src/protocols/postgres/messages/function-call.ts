import { FRONTEND, Reader } from '../codec/index.js'

/** FunctionCall (F): the legacy fast-path call of a function by OID. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-FUNCTIONCALL */
export const FUNCTION_CALL = FRONTEND.FUNCTION_CALL

/** Only the function's OID: enough to name the call in an event; the rest is relayed as sent. */
export const decodeFunctionCallOid = (body: Buffer): number => new Reader(body).int32() >>> 0
