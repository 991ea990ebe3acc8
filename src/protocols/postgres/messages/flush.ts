import { FRONTEND, Writer } from '../codec/index.js'

/** Flush (F): asks the server to send what it has without ending the batch. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-FLUSH */
export const FLUSH = FRONTEND.FLUSH
export const encodeFlush = (): Buffer => new Writer().frame(FLUSH)
