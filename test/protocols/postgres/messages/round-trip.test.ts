import t from 'tap'
import fc from 'fast-check'
import { ProtocolError } from '../../../../src/core/errors.js'
import { decodeBind, encodeBind, bindParamsAsText } from '../../../../src/protocols/postgres/messages/bind.js'
import { decodeParse, encodeParse } from '../../../../src/protocols/postgres/messages/parse.js'
import { decodeQuery, encodeQuery } from '../../../../src/protocols/postgres/messages/query.js'
import { decodeDescribe, encodeDescribe } from '../../../../src/protocols/postgres/messages/describe.js'
import { decodeClose, encodeClose } from '../../../../src/protocols/postgres/messages/close.js'
import { decodeExecute, encodeExecute } from '../../../../src/protocols/postgres/messages/execute.js'
import { decodeDataRow, encodeDataRow } from '../../../../src/protocols/postgres/messages/data-row.js'
import { decodeErrorFields, encodeErrorResponse } from '../../../../src/protocols/postgres/messages/error-response.js'
import { decodeParameterStatus, encodeParameterStatus } from '../../../../src/protocols/postgres/messages/parameter-status.js'
import { decodeBackendKeyData, encodeBackendKeyData } from '../../../../src/protocols/postgres/messages/backend-key-data.js'
import { decodeReadyForQuery, encodeReadyForQuery } from '../../../../src/protocols/postgres/messages/ready-for-query.js'
import { decodeNegotiateProtocolVersion, encodeNegotiateProtocolVersion } from '../../../../src/protocols/postgres/messages/negotiate-protocol-version.js'
import { decodeStartupPacket } from '../../../../src/protocols/postgres/messages/startup-packet.js'
import { encodeStartupMessage } from '../../../../src/protocols/postgres/messages/startup-message.js'
import { encodeCancelRequest } from '../../../../src/protocols/postgres/messages/cancel-request.js'
import { decodePasswordMessage, encodePasswordMessage } from '../../../../src/protocols/postgres/messages/password-message.js'

/** No NUL inside a cstring field. */
const cstr = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replaceAll('\0', ''))
const int16 = fc.integer({ min: 0, max: 1 })
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
const value = fc.option(fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)), { nil: null })

const typedBody = (b: Buffer): Buffer => b.subarray(5)

const cases: Array<[string, fc.Arbitrary<unknown>, (m: any) => Buffer, (b: Buffer) => unknown]> = [
  ['Query', fc.record({ sql: cstr }), encodeQuery, (b) => decodeQuery(typedBody(b))],
  ['Parse', fc.record({ name: cstr, sql: cstr, paramTypes: fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 5 }) }), encodeParse, (b) => decodeParse(typedBody(b))],
  ['Bind', fc.integer({ min: 0, max: 5 }).chain((n) => fc.record({
    portal: cstr, statement: cstr,
    paramFormats: fc.oneof(fc.constant([]), fc.array(int16, { minLength: 1, maxLength: 1 }), fc.array(int16, { minLength: n, maxLength: n })),
    params: fc.array(value, { minLength: n, maxLength: n }),
    resultFormats: fc.array(int16, { maxLength: 4 })
  })).filter((m) => m.paramFormats.length <= 1 || m.paramFormats.length === m.params.length), encodeBind, (b) => decodeBind(typedBody(b))],
  ['Describe', fc.record({ target: fc.constantFrom('statement', 'portal'), name: cstr }), encodeDescribe, (b) => decodeDescribe(typedBody(b))],
  ['Close', fc.record({ target: fc.constantFrom('statement', 'portal'), name: cstr }), encodeClose, (b) => decodeClose(typedBody(b))],
  ['Execute', fc.record({ portal: cstr, maxRows: fc.nat() }), encodeExecute, (b) => decodeExecute(typedBody(b))],
  ['DataRow', fc.record({ values: fc.array(value, { maxLength: 6 }) }), encodeDataRow, (b) => decodeDataRow(typedBody(b))],
  ['ErrorResponse', fc.record({ severity: fc.constantFrom('ERROR', 'FATAL'), code: fc.constantFrom('42501', '28P01'), message: cstr, detail: cstr, hint: cstr }), encodeErrorResponse, (b) => decodeErrorFields(typedBody(b))],
  ['ParameterStatus', fc.record({ name: cstr, value: cstr }), encodeParameterStatus, (b) => decodeParameterStatus(typedBody(b))],
  ['BackendKeyData', fc.record({ processId: int32, secretKey: int32 }), encodeBackendKeyData, (b) => decodeBackendKeyData(typedBody(b))],
  ['ReadyForQuery', fc.constantFrom('I', 'T', 'E'), encodeReadyForQuery, (b) => decodeReadyForQuery(typedBody(b))],
  ['NegotiateProtocolVersion', fc.record({ newestMinor: fc.nat(), unsupportedOptions: fc.array(cstr.filter((s) => s !== ''), { maxLength: 3 }) }), encodeNegotiateProtocolVersion, (b) => decodeNegotiateProtocolVersion(typedBody(b))],
  ['PasswordMessage', cstr, encodePasswordMessage, (b) => decodePasswordMessage(typedBody(b))]
]

for (const [name, arb, encode, decode] of cases) {
  t.test(`${name}: decode(encode(m)) equals m`, async (t) => {
    fc.assert(fc.property(arb, (m) => {
      t.same(decode(encode(m)), m)
      return true
    }), { numRuns: 200 })
  })
  t.test(`${name}: random bytes raise only ProtocolError`, async (t) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decode(Buffer.concat([Buffer.alloc(5), Buffer.from(bytes)]))
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err
      }
    }), { numRuns: 500 })
  })
}

t.test('startup packets are classified by their request code', async (t) => {
  const startup = encodeStartupMessage({ version: 196608, params: { user: 'alice', database: 'analytics' } })
  t.match(decodeStartupPacket(startup.subarray(4)), { kind: 'startup', version: 196608, params: { user: 'alice', database: 'analytics' } })
  t.same(decodeStartupPacket(encodeCancelRequest({ processId: 7, secretKey: -9 }).subarray(4)), { kind: 'cancel', processId: 7, secretKey: -9 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    try { decodeStartupPacket(Buffer.from(bytes)) } catch (err) { if (!(err instanceof ProtocolError)) throw err }
  }), { numRuns: 500 })
})

t.test('NULL and empty Bind parameters stay distinct; binary ones are shown as hex', async (t) => {
  const b = decodeBind(typedBody(encodeBind({ portal: '', statement: 's', paramFormats: [0, 1, 0], params: [null, Buffer.from([1, 2]), Buffer.alloc(0)], resultFormats: [] })))
  t.same(bindParamsAsText(b), [null, '\\x0102', ''])
})
