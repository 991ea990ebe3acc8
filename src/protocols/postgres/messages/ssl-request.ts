import { STARTUP_CODE, Writer } from '../codec/index.js'

/** SSLRequest (F): asks to switch to TLS; answered by one byte, 'S' or 'N'. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-SSLREQUEST */
export const encodeSslRequest = (): Buffer => new Writer().int32(STARTUP_CODE.SSL_REQUEST).untypedFrame()
