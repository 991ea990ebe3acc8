import t from 'tap'
import { loadModule } from 'libpg-query'
import fc from 'fast-check'
import { ProtocolError } from '../../../../src/core/errors.js'
import { CopyOutMasker, copyOutStatements, MaskCounts, maskNoticeFrame, RowMasker } from '../../../../src/protocols/postgres/masking/index.js'
import { encodeDataRow } from '../../../../src/protocols/postgres/messages/data-row.js'
import { decodeRowDescription, encodeRowDescription, type FieldDescription } from '../../../../src/protocols/postgres/messages/row-description.js'
import { decodeCopyOutResponse, encodeCopyOutResponse } from '../../../../src/protocols/postgres/messages/copy-out-response.js'
import { b, field, JSON_TYPE, masking } from './fixtures.js'

await loadModule()

/** Text with no PII: letters, spaces, short numbers and punctuation that no recognizer reports. */
const cleanText = fc.stringMatching(/^[A-Za-zäöüé ,.!?'()-]{0,40}( [0-9]{1,3})?$/)

t.test('rows without PII come out as the same frame: DataRow relayed byte for byte', async (t) => {
  const fields = [field('a'), field('b'), field('c', { typeOid: JSON_TYPE })]
  const m = new RowMasker({ fields, masking: masking() })
  fc.assert(fc.property(fc.array(fc.option(cleanText, { nil: null }), { minLength: 3, maxLength: 3 }), (vals) => {
    const values = vals.map((v, i) => (v === null ? null : b(i === 2 ? JSON.stringify({ k: v }) : v)))
    const frame = encodeDataRow({ values })
    const out = m.maskRow(values)
    return m.maskDataRow(frame.subarray(5)) === undefined && out.values.every((v, i) => v === values[i])
  }), { numRuns: 2000 })
})

t.test('masked JSON stays valid JSON, and no email survives in it', async (t) => {
  const m = new RowMasker({ fields: [field('j', { typeOid: JSON_TYPE })], masking: masking() })
  const email = fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/)).map(([u, d]) => `${u}@${d}.com`)
  const leaf = fc.oneof(email, cleanText, fc.integer(), fc.constant(null), email.map((e) => `mail "${e}"\n\\ \u00e9`))
  const doc = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.oneof(cleanText, email), tie('node'), { maxKeys: 4 }))
  })).node
  fc.assert(fc.property(doc, (d) => {
    const text = JSON.stringify(d)
    const out = m.maskRow([b(text)]).values[0]?.toString() ?? ''
    JSON.parse(out)
    return !/[a-z]+@[a-z]+\.com/.test(out)
  }), { numRuns: 1000 })
})

const field$ = fc.record<FieldDescription>({
  name: fc.string({ maxLength: 20 }).map((s) => s.replaceAll('\0', '')),
  tableOid: fc.nat(), attnum: fc.integer({ min: -32768, max: 32767 }), typeOid: fc.nat(),
  typeSize: fc.integer({ min: -32768, max: 32767 }), typeModifier: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), format: fc.integer({ min: 0, max: 1 })
})

t.test('RowDescription and CopyOutResponse: decode(encode(m)) is m; random bytes raise only ProtocolError', async (t) => {
  fc.assert(fc.property(fc.array(field$, { maxLength: 6 }), (fields) => {
    t.same(decodeRowDescription(encodeRowDescription({ fields }).subarray(5)), { fields })
    return true
  }), { numRuns: 300 })
  fc.assert(fc.property(fc.constantFrom<'text' | 'binary'>('text', 'binary'), fc.array(fc.integer({ min: 0, max: 1 }), { maxLength: 6 }), (format, columnFormats) => {
    t.same(decodeCopyOutResponse(encodeCopyOutResponse({ format, columnFormats }).subarray(5)), { format, columnFormats })
    return true
  }), { numRuns: 100 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    for (const decode of [decodeRowDescription, decodeCopyOutResponse]) {
      try { decode(Buffer.from(bytes)) } catch (err) { if (!(err instanceof ProtocolError)) throw err }
    }
    return true
  }), { numRuns: 2000 })
})

t.test('random server bytes: maskers raise only ProtocolError, or nothing', async (t) => {
  const rows = new RowMasker({ fields: [field('a'), field('b', { typeOid: JSON_TYPE })], masking: masking() })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
    for (const f of [() => rows.maskDataRow(Buffer.from(bytes)), () => maskNoticeFrame(0x45, Buffer.from(bytes), masking(), new MaskCounts())]) {
      try { f() } catch (err) { if (!(err instanceof ProtocolError)) throw err }
    }
    return true
  }), { numRuns: 3000 })
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), fc.constantFrom(...copyOutStatements('copy t to stdout; copy t to stdout csv header')), (chunks, statement) => {
    const m = new CopyOutMasker({ response: { format: 'text', columnFormats: [] }, statement, masking: masking() })
    for (const c of chunks) m.push(Buffer.from(c))
    m.end()
    return true
  }), { numRuns: 1000 })
})
