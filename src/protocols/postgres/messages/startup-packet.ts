import { ProtocolError } from '../../../core/errors.js'
import { STARTUP_CODE } from '../codec/index.js'
import { decodeCancelRequest, type CancelRequest } from './cancel-request.js'
import { decodeStartupMessage, type StartupMessage } from './startup-message.js'

/** The first packet of a connection, by its request code. @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP */
export type StartupPacket =
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | ({ kind: 'cancel' } & CancelRequest)
  | ({ kind: 'startup' } & StartupMessage)

/** Classifies and decodes an untyped packet body (after the length). */
export function decodeStartupPacket (body: Buffer): StartupPacket {
  if (body.length < 4) throw new ProtocolError('startup packet too short')
  const code = body.readInt32BE(0)
  switch (code) {
    case STARTUP_CODE.SSL_REQUEST:
    case STARTUP_CODE.GSSENC_REQUEST:
      if (body.length !== 4) throw new ProtocolError('SSLRequest/GSSENCRequest with trailing bytes')
      return { kind: code === STARTUP_CODE.SSL_REQUEST ? 'ssl' : 'gssenc' }
    case STARTUP_CODE.CANCEL_REQUEST:
      return { kind: 'cancel', ...decodeCancelRequest(body) }
    default:
      return { kind: 'startup', ...decodeStartupMessage(body) }
  }
}
