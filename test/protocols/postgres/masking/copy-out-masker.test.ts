import t from 'tap'
import { loadModule } from 'libpg-query'
import fc from 'fast-check'
import { UnmaskableResponseError } from '../../../../src/core/errors.js'
import { copyOutRefusal, CopyOutMasker, copyOutStatements, DEFAULT_COPY_TEXT, type CopyOutStatement } from '../../../../src/protocols/postgres/masking/index.js'
import { b, col, masking } from './fixtures.js'

await loadModule()

const TEXT_RESPONSE = { format: 'text' as const, columnFormats: [0, 0, 0] }
const CSV: CopyOutStatement = { ...DEFAULT_COPY_TEXT, format: 'csv', delimiter: 0x2c, nullString: '', hasHeader: true }
const columns = [col('customers', 'id'), col('customers', 'email'), col('customers', 'note')]

function run (m: CopyOutMasker, chunks: Buffer[]): string {
  return Buffer.concat([...chunks.map((c) => m.push(c)), m.end()]).toString()
}

function cut (data: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y)
  const out: Buffer[] = []
  let prev = 0
  for (const c of at) { out.push(data.subarray(prev, c)); prev = c }
  out.push(data.subarray(prev))
  return out
}

const textData = b('1\tada@example.com\thello\n2\t\\N\tcall +1 415 555 0100\\tnow\n3\tbob@example.org\tJürgen 😀\n')

t.test('COPY table TO STDOUT (text): named column by position, others by content, escapes kept', async (t) => {
  const m = new CopyOutMasker({ response: TEXT_RESPONSE, statement: DEFAULT_COPY_TEXT, columns, masking: masking() })
  t.equal(run(m, [textData]), '1\t[EMAIL]\thello\n2\t\\N\tcall [PHONE]\\tnow\n3\t[EMAIL]\tJürgen 😀\n')
  t.same(m.counts.toRecord(), { EMAIL: 2, PHONE: 1 })
})

t.test('COPY (query) TO STDOUT: content only', async (t) => {
  const m = new CopyOutMasker({ response: TEXT_RESPONSE, masking: masking() })
  t.equal(run(m, [b('{"email":"ada@example.com"}\tok\n')]), '{"email":"[EMAIL]"}\tok\n')
})

t.test('CSV with header, quoted fields holding delimiters and newlines, NULL vs empty string', async (t) => {
  const data = b('id,email,note\n1,ada@example.com,"multi\nline, with ""quotes"" bob@example.org"\n2,,""\n')
  const m = new CopyOutMasker({ response: TEXT_RESPONSE, statement: CSV, columns, masking: masking() })
  t.equal(run(m, [data]), 'id,email,note\n1,"[EMAIL]","multi\nline, with ""quotes"" [EMAIL]"\n2,,""\n')
})

t.test('a row split anywhere (inside a multi-byte character, inside quotes) masks the same', async (t) => {
  const whole = run(new CopyOutMasker({ response: TEXT_RESPONSE, statement: DEFAULT_COPY_TEXT, columns, masking: masking() }), [textData])
  const csvData = b('id,email,note\n1,ada@example.com,"a\nb ""c"" bob@example.org"\n2,x@y.io,😀\n')
  const csvWhole = run(new CopyOutMasker({ response: TEXT_RESPONSE, statement: CSV, columns, masking: masking() }), [csvData])
  fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
    const a = run(new CopyOutMasker({ response: TEXT_RESPONSE, statement: DEFAULT_COPY_TEXT, columns, masking: masking() }), cut(textData, cuts))
    const c = run(new CopyOutMasker({ response: TEXT_RESPONSE, statement: CSV, columns, masking: masking() }), cut(csvData, cuts))
    return a === whole && c === csvWhole
  }), { numRuns: 500 })
})

t.test('rows without PII come back as the same chunk', async (t) => {
  const m = new CopyOutMasker({ response: TEXT_RESPONSE, masking: masking() })
  const chunk = b('1\tAlice\n2\tBob\n')
  t.equal(m.push(chunk), chunk)
  t.equal(m.end().length, 0)
})

t.test('a partial row is held, bounded', async (t) => {
  const m = new CopyOutMasker({ response: TEXT_RESPONSE, masking: masking(), maxRowBytes: 16 })
  t.equal(m.push(b('1\tada@exa')).length, 0)
  t.throws(() => m.push(b('mple.com and more text')), UnmaskableResponseError)
})

t.test('the last row without a newline is masked at end()', async (t) => {
  const m = new CopyOutMasker({ response: TEXT_RESPONSE, masking: masking() })
  t.equal(m.push(b('x\tada@example.com')).length, 0)
  t.equal(m.end().toString(), 'x\t[EMAIL]')
})

t.test('refusals: binary COPY, and COPY (query) over a table with masked columns', async (t) => {
  const [binary, query, table, other] = copyOutStatements('copy customers to stdout binary; copy (select lower(name) from public.customers) to stdout; copy customers to stdout; copy (select 1 from orders) to stdout')
  t.match(copyOutRefusal(binary, masking()), /binary COPY/)
  t.equal(copyOutRefusal(binary, undefined), undefined, 'no masking, no refusal')
  t.match(copyOutRefusal(query, masking()), /COPY \(query\) TO STDOUT over "customers"/)
  t.equal(copyOutRefusal(table, masking()), undefined)
  t.equal(copyOutRefusal(other, masking()), undefined)
  t.throws(() => new CopyOutMasker({ response: { format: 'binary', columnFormats: [1] }, masking: masking() }), { code: 'GH_UNMASKABLE' })
})

t.test('null style on a named column writes the statement\'s NULL string', async (t) => {
  const m = new CopyOutMasker({ response: TEXT_RESPONSE, statement: DEFAULT_COPY_TEXT, columns, masking: masking('null') })
  t.equal(run(m, [b('1\tada@example.com\tx\n')]), '1\t\\N\tx\n')
})

t.test('copyOutStatements reads format, delimiter, quote, NULL string, header, columns and tables', async (t) => {
  const [a, b2] = copyOutStatements(`copy public.customers (id, "Email") to stdout with (format csv, header, delimiter ';', quote '|', null 'x'); copy (select * from a join s.b using (id)) to stdout`)
  t.same(a, { relation: { schema: 'public', name: 'customers' }, tablesRead: [], columns: ['id', 'Email'], format: 'csv', delimiter: 0x3b, quote: 0x7c, escape: 0x7c, nullString: 'x', hasHeader: true })
  t.same(b2.tablesRead, [{ name: 'a' }, { schema: 's', name: 'b' }])
  t.equal(b2.format, 'text')
  t.same(copyOutStatements("copy t from stdin; copy t to '/tmp/x'; select 1"), [], 'only COPY TO STDOUT counts')
  t.same(copyOutStatements('not sql at all'), [])
})

t.test('CSV with an escape other than the quote, split anywhere, masks the same', async (t) => {
  const [statement] = copyOutStatements("copy customers to stdout with (format csv, escape '\\', null 'NULL')")
  const data = b('1,"ada@example.com","say \\"hi\\"\nto bob@example.org",NULL\n2,x,"\\\\",""\n')
  const whole = run(new CopyOutMasker({ response: TEXT_RESPONSE, statement, columns, masking: masking() }), [data])
  t.equal(whole, '1,"[EMAIL]","say \\"hi\\"\nto [EMAIL]",NULL\n2,"[REDACTED]","\\\\",""\n')
  fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 10 }), (cuts) =>
    run(new CopyOutMasker({ response: TEXT_RESPONSE, statement, columns, masking: masking() }), cut(data, cuts)) === whole), { numRuns: 300 })
})

t.test('text format with a header row (PostgreSQL 15+): the header is not masked', async (t) => {
  const [statement] = copyOutStatements('copy customers to stdout with (header)')
  const m = new CopyOutMasker({ response: TEXT_RESPONSE, statement, columns, masking: masking() })
  t.equal(run(m, [b('id\temail\tnote\n1\tada@example.com\tx\n')]), 'id\temail\tnote\n1\t[EMAIL]\tx\n')
})

t.test('a named column of a non-text type is written as the NULL string', async (t) => {
  const numeric = [col('customers', 'id'), { ...col('customers', 'phone'), typeCategory: 'N' }]
  const m = new CopyOutMasker({ response: TEXT_RESPONSE, statement: CSV, columns: numeric, masking: masking() })
  t.equal(run(m, [b('id,phone\n1,4155550100\n')]), 'id,phone\n1,\n')
})

t.test('text format with a custom delimiter: an escaped delimiter inside a value does not split it', async (t) => {
  const [statement] = copyOutStatements("copy customers to stdout with (delimiter '|')")
  const m = new CopyOutMasker({ response: TEXT_RESPONSE, statement, columns, masking: masking() })
  t.equal(run(m, [b('1\\|2|Jane Roe|a\\|b bob@example.org\n')]), '1\\|2|[REDACTED]|a\\|b [EMAIL]\n', 'the email column is still the second one')
})

t.test('JSON members named like masked columns are masked in COPY output even without entity rules', async (t) => {
  const onlyColumns = masking('label', { entities: [], columns: ['customers.name'] })
  const csv = run(new CopyOutMasker({ response: TEXT_RESPONSE, statement: CSV, masking: onlyColumns }), [b('j\n"{""name"": ""Jane Roe""}"\n')])
  t.equal(csv, 'j\n"{""name"": ""[REDACTED]""}"\n')
  const text = run(new CopyOutMasker({ response: TEXT_RESPONSE, masking: onlyColumns }), [b('{"name": "Jane Roe"}\tplain Jane Roe\n')])
  t.equal(text, '{"name": "[REDACTED]"}\tplain Jane Roe\n')
})
