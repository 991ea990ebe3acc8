import t from 'tap'
import fc from 'fast-check'
import { GatehouseError } from '../../../../src/core/errors.js'
import { FrameReader, Writer } from '../../../../src/protocols/postgres/codec/index.js'
import { newSession, startupFrame, frames } from './session-script.js'
import { encodeStartupMessage } from '../../../../src/protocols/postgres/messages/startup-message.js'
import { encodePasswordMessage } from '../../../../src/protocols/postgres/messages/password-message.js'
import { encodeReadyForQuery } from '../../../../src/protocols/postgres/messages/ready-for-query.js'
import type { Decision } from '../../../../src/core/events/index.js'

const decisions = (deny: boolean): Decision => ({ action: deny ? 'deny' : 'allow', rules: ['r'], shadow: [], masks: [], limits: [], policyRevision: 'r' })

/** Any frame shape: a known or random type byte with a random body. */
const anyFrame = fc.tuple(fc.oneof(fc.constantFrom(...'QPBDECSHdcfFXp12tTnsIZGWVANKRv3'.split('').map((c) => c.charCodeAt(0))), fc.integer({ min: 0, max: 255 })), fc.uint8Array({ maxLength: 24 }))
  .map(([code, body]) => new Writer().bytes(Buffer.from(body)).frame(code))

t.test('any interleaving of client and server frames raises nothing but gatehouse errors', async (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), anyFrame, fc.boolean()), { maxLength: 40 }), (steps) => {
    const s = newSession((e) => decisions(e.sql?.text.includes('x') === true))
    s.onClient(startupFrame(encodeStartupMessage({ version: 196608, params: { user: 'u', database: 'analytics' } })))
    s.onClient(frames('client', encodePasswordMessage('t'))[0])
    s.onVerified({ sub: 'u', iss: 'i', groups: [], via: 'dev' })
    s.onUpstreamReady([], frames('server', encodeReadyForQuery('I'))[0], { processId: 1, secretKey: 1 })
    for (const [fromClient, bytes, streamed] of steps) {
      const r = new FrameReader(fromClient ? 'client' : 'server')
      r.push(bytes)
      const f = r.next()
      if (f === undefined) continue
      try {
        if (fromClient) s.onClient(f)
        else if (streamed && s.streamableServerCodes.has(f.code)) s.onServerStreamStart(f.code)
        else s.onServer(f)
      } catch (err) {
        if (!(err instanceof GatehouseError)) throw err
        s.fail({ severity: 'FATAL', code: '08P01', message: 'x' }, 'fuzz')
      }
    }
    s.drainAudits()
  }), { numRuns: 3000 })
})
