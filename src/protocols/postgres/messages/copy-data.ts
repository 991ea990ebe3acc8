import { BACKEND, Writer } from '../codec/index.js'

/**
 * CopyData (F and B): a chunk of COPY data. Chunks need not align with rows; servers send one row per
 * message but nothing guarantees it. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COPYDATA
 */
export const COPY_DATA = BACKEND.COPY_DATA

/** The body is the data itself: no decoding needed beyond the frame. */
export const encodeCopyData = (data: Buffer): Buffer => new Writer().bytes(data).frame(COPY_DATA)
