import { FRONTEND, Writer } from '../codec/index.js'
import { decodeTargetAndName, PORTAL_TARGET, STATEMENT_TARGET } from './describe.js'

/** Close (F): drops a prepared statement ('S') or a portal ('P'). @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-CLOSE */
export const CLOSE = FRONTEND.CLOSE
export interface Close { target: 'statement' | 'portal'; name: string }

export const decodeClose = (body: Buffer): Close => decodeTargetAndName(body, 'Close')

export const encodeClose = (m: Close): Buffer =>
  new Writer().byte(m.target === 'statement' ? STATEMENT_TARGET : PORTAL_TARGET).cstring(m.name).frame(CLOSE)
