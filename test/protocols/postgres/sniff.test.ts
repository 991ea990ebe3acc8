import t from 'tap'
import fc from 'fast-check'
import { sniffPostgres } from '../../../src/protocols/postgres/index.js'
import { encodeStartupMessage } from '../../../src/protocols/postgres/messages/startup-message.js'
import { encodeSslRequest } from '../../../src/protocols/postgres/messages/ssl-request.js'
import { encodeGssencRequest } from '../../../src/protocols/postgres/messages/gssenc-request.js'
import { encodeCancelRequest } from '../../../src/protocols/postgres/messages/cancel-request.js'

t.test('every startup-family packet is recognised, from 8 bytes on', async (t) => {
  for (const p of [encodeStartupMessage({ version: 196608, params: { user: 'a' } }), encodeStartupMessage({ version: 196610, params: { user: 'a' } }), encodeSslRequest(), encodeGssencRequest(), encodeCancelRequest({ processId: 1, secretKey: 2 })]) {
    for (let n = 0; n < 8; n++) t.equal(sniffPostgres(p.subarray(0, n)), 'need-more', `${n} bytes`)
    t.equal(sniffPostgres(p), 'yes')
  }
})

t.test('HTTP, TLS and other protocols are told apart at the first byte', async (t) => {
  t.equal(sniffPostgres(Buffer.from('GET / HTTP/1.1\r\n')), 'no')
  t.equal(sniffPostgres(Buffer.from('P')), 'no')
  t.equal(sniffPostgres(Buffer.from([0x16, 0x03, 0x01])), 'no')
  t.equal(sniffPostgres(Buffer.from([0, 0, 0, 8, 0, 2, 0, 0])), 'no', 'protocol 2 is not ours')
  t.equal(sniffPostgres(Buffer.from([0, 0, 0x40, 0, 0, 3, 0, 0])), 'no', 'startup packets are under 10000 bytes')
})

t.test('no input makes sniff throw or say yes to a non-startup code', async (t) => {
  const codes = new Set([196608, 196610, 80877102, 80877103, 80877104])
  fc.assert(fc.property(fc.uint8Array({ maxLength: 20 }), (a) => {
    const b = Buffer.from(a)
    const v = sniffPostgres(b)
    return v !== 'yes' || codes.has(b.readInt32BE(4))
  }), { numRuns: 2000 })
})
