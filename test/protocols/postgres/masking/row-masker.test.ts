import t from 'tap'
import { responseMaskingCache, RowMasker, withResultFormats } from '../../../../src/protocols/postgres/masking/index.js'
import { decodeDataRow, encodeDataRow } from '../../../../src/protocols/postgres/messages/data-row.js'
import { b, col, field, INT4, JSON_TYPE, JSONB, masking, spec } from './fixtures.js'

const customersFields = [
  field('id', { tableOid: 16400, attnum: 1, typeOid: INT4 }),
  field('e', { tableOid: 16400, attnum: 2 }),
  field('note', { tableOid: 16400, attnum: 4 })
]
const customersCols = [col('customers', 'id'), col('customers', 'email'), col('customers', 'note')]

t.test('a named column is masked whatever its output name, other text values by content', async (t) => {
  const m = new RowMasker({ fields: customersFields, columns: customersCols, masking: masking() })
  const row = [b('1'), b('ada@example.com'), b('call +1 415 555 0100 or mail bob@example.org')]
  const out = m.maskRow(row)
  t.equal(out.values[0], row[0], 'id untouched, same buffer')
  t.equal(out.values[1]?.toString(), '[EMAIL]')
  t.equal(out.values[2]?.toString(), 'call [PHONE] or mail [EMAIL]')
  t.same(out.counts, { EMAIL: 2, PHONE: 1 })
  t.same(m.counts.toRecord(), { EMAIL: 2, PHONE: 1 })
})

t.test('a named column that holds no recognizable PII is still masked', async (t) => {
  const m = new RowMasker({ fields: customersFields, columns: customersCols, masking: masking() })
  t.equal(m.maskRow([b('1'), b('not an address'), b('x')]).values[1]?.toString(), '[REDACTED]')
})

t.test('rows with nothing to mask come back as the same buffers, and the frame is not re-encoded', async (t) => {
  const m = new RowMasker({ fields: [field('a'), field('b')], masking: masking() })
  const row = [b('Alice Smith'), b('Berlin')]
  const out = m.maskRow(row)
  t.equal(out.values, row)
  t.equal(out.values[0], row[0])
  const frame = encodeDataRow({ values: row })
  t.equal(m.maskDataRow(frame.subarray(5)), undefined)
})

t.test('NULL stays NULL and empty stays empty', async (t) => {
  const m = new RowMasker({ fields: customersFields, columns: customersCols, masking: masking() })
  const out = m.maskRow([null, null, b('')])
  t.same(out.values, [null, null, b('')])
  t.equal(out.values[1], null)
})

t.test('styles on a named text column: null, partial, hash', async (t) => {
  const row = [b('1'), b('ada@example.com'), null]
  t.equal(new RowMasker({ fields: customersFields, columns: customersCols, masking: masking('null') }).maskRow(row).values[1], null)
  t.equal(new RowMasker({ fields: customersFields, columns: customersCols, masking: masking('partial') }).maskRow(row).values[1]?.toString(), '***@******e.com', 'partial keeps the last four letters or digits and the punctuation')
  const hashed = new RowMasker({ fields: customersFields, columns: customersCols, masking: masking('hash') }).maskRow(row).values[1]?.toString() ?? ''
  t.match(hashed, /^EMAIL_[0-9a-f]{12}$/)
  const again = new RowMasker({ fields: customersFields, columns: customersCols, masking: masking('hash') }).maskRow([b('1'), b('ADA@example.com'), null]).values[1]?.toString()
  t.equal(again, hashed, 'the same email hashes the same whatever its case (joins still work)')
})

t.test('a named column of a non-text type becomes NULL in text format', async (t) => {
  const fields = [field('phone', { tableOid: 16400, attnum: 3, typeOid: 20 })]
  const cols = [{ ...col('customers', 'phone'), typeCategory: 'N' }]
  const out = new RowMasker({ fields, columns: cols, masking: masking() }).maskRow([b('4155550100')])
  t.equal(out.values[0], null)
  t.same(out.counts, { REDACTED: 1 })
})

t.test('binary format: masked text column gets the label bytes, other masked types NULL, binary text scanned, other binary never decoded', async (t) => {
  const fields = [
    field('id', { tableOid: 16400, attnum: 1, typeOid: INT4, format: 1 }),
    field('email', { tableOid: 16400, attnum: 2, format: 1 }),
    field('phone', { tableOid: 16400, attnum: 3, typeOid: 20, format: 1 }),
    field('blob', { typeOid: 17, format: 1 }),
    field('note', { format: 1 })
  ]
  const cols = [col('customers', 'id'), col('customers', 'email'), { ...col('customers', 'phone'), typeCategory: 'N' }, undefined, undefined]
  const raw = [Buffer.from([0, 0, 0, 1]), b('ada@example.com'), Buffer.from([0, 0, 0, 0, 0xf7, 0xb6, 0x0c, 0x44]), b('ada@example.com'), b('mail ada@example.com')]
  const out = new RowMasker({ fields, columns: cols, masking: masking() }).maskRow(raw)
  t.equal(out.values[0], raw[0])
  t.equal(out.values[1]?.toString(), '[EMAIL]')
  t.equal(out.values[2], null)
  t.equal(out.values[3], raw[3], 'a binary bytea value is relayed byte for byte, never decoded')
  t.equal(out.values[4]?.toString(), 'mail [EMAIL]', 'binary text is its UTF-8: scanned like text')
})

t.test('json and jsonb: content masked inside strings, named json columns stay valid JSON in text and binary', async (t) => {
  const fields = [field('j', { typeOid: JSON_TYPE }), field('jb', { typeOid: JSONB }), field('meta', { tableOid: 16400, attnum: 5, typeOid: JSONB, format: 1 })]
  const cols = [undefined, undefined, { ...col('customers', 'email'), typeCategory: 'U' }]
  const doc = '{"id": 1, "email": "ada@example.com", "tags": ["x", "bob@example.org"], "card": 4242424242424242}'
  const jsonbBinary = Buffer.concat([Buffer.from([1]), b('"ada@example.com"')])
  const out = new RowMasker({ fields, columns: cols, masking: masking() }).maskRow([b(doc), b(doc), jsonbBinary])
  const j = JSON.parse(out.values[0]?.toString() ?? '')
  t.same(j, { id: 1, email: '[EMAIL]', tags: ['x', '[EMAIL]'], card: '[CREDIT_CARD]' })
  t.same(JSON.parse(out.values[1]?.toString() ?? ''), j)
  t.equal(out.values[2]?.[0], 1, 'jsonb binary keeps its version byte')
  t.equal(JSON.parse(out.values[2]?.subarray(1).toString() ?? ''), '[EMAIL]')
})

t.test('text values that hold JSON or array literals stay parseable', async (t) => {
  const m = new RowMasker({ fields: [field('a'), field('b'), field('c')], masking: masking() })
  const out = m.maskRow([b('{"e":"a\\u0040b.com x ada@example.com"}'), b('{ada@example.com,bob@example.org}'), b('["tel \\"+1 415 555 0100\\""]')])
  t.same(JSON.parse(out.values[0]?.toString() ?? ''), { e: 'a@b.com x [EMAIL]' })
  t.equal(out.values[1]?.toString(), '{"[EMAIL]","[EMAIL]"}')
  const arr = JSON.parse(out.values[2]?.toString() ?? '') as string[]
  t.notMatch(arr[0], /555/)
})

t.test('multi-byte UTF-8 around findings is kept intact', async (t) => {
  const m = new RowMasker({ fields: [field('a')], masking: masking() })
  const out = m.maskRow([b('Jürgen 😀 ada@example.com — ünïcödé')])
  t.equal(out.values[0]?.toString(), 'Jürgen 😀 [EMAIL] — ünïcödé')
})

t.test('maskDataRow re-encodes with recomputed lengths', async (t) => {
  const m = new RowMasker({ fields: customersFields, columns: customersCols, masking: masking() })
  const frame = encodeDataRow({ values: [b('7'), b('ada@example.com'), null] })
  const masked = m.maskDataRow(frame.subarray(5))
  t.ok(masked)
  t.equal(masked?.readInt32BE(1), (masked?.length ?? 0) - 1)
  t.same(decodeDataRow(masked?.subarray(5) ?? Buffer.alloc(0)).values, [b('7'), b('[EMAIL]'), null])
})

t.test('a view column resolved to its base column is masked by the base rule; schema-qualified rules match only their schema', async (t) => {
  const viewCol = col('customer_view', 'contact', [{ schema: 'public', table: 'customers', column: 'email' }])
  const m = new RowMasker({ fields: [field('contact', { tableOid: 1, attnum: 1 })], columns: [viewCol], masking: masking() })
  t.equal(m.maskRow([b('x')]).values[0]?.toString(), '[REDACTED]')
  const other = masking('label', { columns: ['crm.customers.email'], entities: [] })
  const m2 = new RowMasker({ fields: [field('email', { tableOid: 1, attnum: 2 })], columns: [col('customers', 'email')], masking: other })
  const v = b('ada@example.com')
  t.equal(m2.maskRow([v]).values[0], v, 'public.customers.email is not crm.customers.email')
})

t.test('columns of types with no content (timestamps, uuids) are not scanned; with custom recognizers they are', async (t) => {
  const fields = [field('at', { typeOid: 1184 })]
  t.ok(new RowMasker({ fields, masking: masking() }).isPassThrough)
  const custom = masking('label', { recognizers: [{ entity: 'YEAR', pattern: '20\\d\\d' }] })
  const out = new RowMasker({ fields, masking: custom }).maskRow([b('2024-01-01 10:00:00+00')])
  t.equal(out.values[0]?.toString(), '[YEAR]-01-01 10:00:00+00')
})

t.test('an expression column carrying a masked column\'s name is masked; JSON members named like masked columns too', async (t) => {
  const names = masking('label', { columns: ['customers.name'], entities: ['EMAIL'] })
  const m = new RowMasker({ fields: [field('name'), field('row_to_json', { typeOid: JSON_TYPE }), field('other')], columns: [undefined, undefined, undefined], masking: names })
  const out = m.maskRow([b('Ada Lovelace'), b('{"id":1,"name":"Ada Lovelace","tags":{"name":null}}'), b('Ada Lovelace')])
  t.equal(out.values[0]?.toString(), '[REDACTED]', 'select * from f() where f returns customers rows')
  t.same(JSON.parse(out.values[1]?.toString() ?? ''), { id: 1, name: '[REDACTED]', tags: { name: null } })
  t.equal(out.values[2]?.toString(), 'Ada Lovelace', 'an unnamed expression without PII is not guessed at')
  const resolved = new RowMasker({ fields: [field('name', { tableOid: 9, attnum: 1 })], columns: [col('orders', 'name')], masking: names })
  const v = b('Widget')
  t.equal(resolved.maskRow([v]).values[0], v, 'a resolved column is judged by its identity, not its name')
})

t.test('numbers and addresses stay valid: a finding in one makes it NULL, short integers are not scanned', async (t) => {
  const fields = [field('n', { typeOid: 1700 }), field('big', { typeOid: 20 }), field('ip', { typeOid: 869 }), field('frac', { typeOid: 1700 })]
  const out = new RowMasker({ fields, masking: masking('label', { entities: ['CREDIT_CARD', 'IP_ADDRESS'] }) }).maskRow([b('4242424242424242.00'), b('123456'), b('192.168.10.20'), b('123.4500000000000000')])
  t.same(out.values, [null, b('123456'), null, b('123.4500000000000000')])
  t.same(out.counts, { CREDIT_CARD: 1, IP_ADDRESS: 1 })
})

t.test('a portal executed without Describe: the statement\'s fields with the Bind\'s result formats', async (t) => {
  const stmtFields = [field('id', { tableOid: 16400, attnum: 1, typeOid: INT4 }), field('email', { tableOid: 16400, attnum: 2 })]
  t.same(withResultFormats(stmtFields, []).map((f) => f.format), [0, 0])
  t.same(withResultFormats(stmtFields, [1]).map((f) => f.format), [1, 1])
  t.same(withResultFormats(stmtFields, [1, 0]).map((f) => f.format), [1, 0])
  t.throws(() => withResultFormats(stmtFields, [1, 0, 1]), { code: 'GH_PROTOCOL' })
  const m = new RowMasker({ fields: withResultFormats(stmtFields, [1]), columns: [col('customers', 'id'), col('customers', 'email')], masking: masking() })
  const id = Buffer.from([0, 0, 0, 7])
  const out = m.maskRow([id, b('ada@example.com')])
  t.equal(out.values[0], id, 'binary int relayed as it came')
  t.equal(out.values[1]?.toString(), '[EMAIL]')
})

t.test('a DataRow that does not match its RowDescription is refused, not relayed unmasked', async (t) => {
  const m = new RowMasker({ fields: customersFields, columns: customersCols, masking: masking() })
  t.throws(() => m.maskRow([b('1'), b('x'), b('y'), b('ada@example.com')]), { code: 'GH_PROTOCOL' })
})

t.test('responseMaskingCache: only response rules, compiled once per list of spec objects', async (t) => {
  const cache = responseMaskingCache({ hashKey: Buffer.alloc(32, 1) })
  const specs = [spec(), spec({ rule: 'prompts-only', applyTo: ['request'] })]
  const a = cache(specs)
  t.ok(a)
  t.equal(cache([...specs]), a, 'the same spec objects give the same compiled masking')
  t.same(a?.specs.map((s) => s.rule), ['mask-pii'])
  t.equal(cache([spec({ applyTo: ['request'] })]), undefined, 'nothing applies to responses: relay untouched')
  t.not(cache([spec()]), a, 'new spec objects (a reload) compile again')
})
