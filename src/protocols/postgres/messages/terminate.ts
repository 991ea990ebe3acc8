import { FRONTEND, Writer } from '../codec/index.js'

/** Terminate (F): the client is leaving. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-TERMINATE */
export const TERMINATE = FRONTEND.TERMINATE
export const encodeTerminate = (): Buffer => new Writer().frame(TERMINATE)
