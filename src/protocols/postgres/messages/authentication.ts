import { BACKEND, Reader, Writer } from '../codec/index.js'

/** Authentication* (B): one code, a sub-code int32, then per-method data. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-AUTHENTICATIONOK */
export const AUTHENTICATION = BACKEND.AUTHENTICATION
export const AUTH_OK = 0
export const AUTH_CLEARTEXT_PASSWORD = 3

export const encodeAuthenticationOk = (): Buffer => new Writer().int32(AUTH_OK).frame(AUTHENTICATION)
export const encodeAuthenticationCleartextPassword = (): Buffer => new Writer().int32(AUTH_CLEARTEXT_PASSWORD).frame(AUTHENTICATION)

/** The sub-code of an Authentication message. */
export const decodeAuthenticationKind = (body: Buffer): number => new Reader(body).int32()
