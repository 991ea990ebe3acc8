import { STARTUP_CODE, Writer } from '../codec/index.js'

/** GSSENCRequest (F): asks for GSSAPI encryption; gatehouse always answers 'N'. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-GSSENCREQUEST */
export const encodeGssencRequest = (): Buffer => new Writer().int32(STARTUP_CODE.GSSENC_REQUEST).untypedFrame()
