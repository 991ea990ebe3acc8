import { FRONTEND, Writer } from '../codec/index.js'

/** Sync (F): ends an extended-protocol batch; the server answers ReadyForQuery. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-SYNC */
export const SYNC = FRONTEND.SYNC
export const encodeSync = (): Buffer => new Writer().frame(SYNC)
