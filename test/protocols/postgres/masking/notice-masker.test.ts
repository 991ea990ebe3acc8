import t from 'tap'
import { MaskCounts, maskNoticeFrame } from '../../../../src/protocols/postgres/masking/index.js'
import { BACKEND, Writer } from '../../../../src/protocols/postgres/codec/index.js'
import { masking } from './fixtures.js'

function frame (code: number, fields: Array<[string, string]>): Buffer {
  const w = new Writer()
  for (const [k, v] of fields) w.byte(k.charCodeAt(0)).cstring(v)
  return w.byte(0).frame(code)
}

const fieldsOf = (f: Buffer): Array<[string, string]> => {
  const out: Array<[string, string]> = []
  let i = 5
  while (f[i] !== 0) {
    const end = f.indexOf(0, i + 1)
    out.push([String.fromCharCode(f[i]), f.toString('utf8', i + 1, end)])
    i = end + 1
  }
  return out
}

t.test('a unique violation detail is masked; field order, codes and names kept', async (t) => {
  const fields: Array<[string, string]> = [['S', 'ERROR'], ['V', 'ERROR'], ['C', '23505'], ['M', 'duplicate key value violates unique constraint "customers_email_key"'],
    ['D', 'Key (email)=(ada@example.com) already exists.'], ['s', 'public'], ['t', 'customers'], ['n', 'customers_email_key'], ['F', 'nbtinsert.c'], ['L', '666'], ['R', '_bt_check_unique']]
  const f = frame(BACKEND.ERROR_RESPONSE, fields)
  const counts = new MaskCounts()
  const out = maskNoticeFrame(BACKEND.ERROR_RESPONSE, f.subarray(5), masking(), counts) ?? f
  const expected = fields.map(([k, v]): [string, string] => (k === 'D' ? [k, 'Key (email)=([REDACTED]) already exists.'] : [k, v]))
  t.same(fieldsOf(out), expected)
  t.equal(out[0], BACKEND.ERROR_RESPONSE)
})

t.test('a table without masked columns: values found by content only', async (t) => {
  const f = frame(BACKEND.ERROR_RESPONSE, [['S', 'ERROR'], ['C', '23502'], ['M', 'null value in column "x" of relation "orders" violates not-null constraint'],
    ['D', 'Failing row contains (1, ada@example.com, Alice).'], ['t', 'orders']])
  const out = maskNoticeFrame(BACKEND.ERROR_RESPONSE, f.subarray(5), masking(), new MaskCounts())
  t.equal(fieldsOf(out ?? f)[3][1], 'Failing row contains (1, [EMAIL], Alice).')
})

t.test('a failing row of a masked table is withheld whole', async (t) => {
  const f = frame(BACKEND.ERROR_RESPONSE, [['S', 'ERROR'], ['C', '23514'], ['D', 'Failing row contains (1, Alice Name, x).'], ['t', 'customers']])
  t.equal(fieldsOf(maskNoticeFrame(BACKEND.ERROR_RESPONSE, f.subarray(5), masking(), new MaskCounts()) ?? f)[2][1], 'Failing row contains ([REDACTED]).')
})

t.test('notices: message and context masked', async (t) => {
  const f = frame(BACKEND.NOTICE_RESPONSE, [['S', 'NOTICE'], ['C', '00000'], ['M', 'found ada@example.com'], ['W', 'PL/pgSQL function f() line 3 at RAISE with +1 415 555 0100']])
  const out = maskNoticeFrame(BACKEND.NOTICE_RESPONSE, f.subarray(5), masking(), new MaskCounts()) ?? f
  t.equal(out[0], BACKEND.NOTICE_RESPONSE)
  t.same(fieldsOf(out).map(([, v]) => v), ['NOTICE', '00000', 'found [EMAIL]', 'PL/pgSQL function f() line 3 at RAISE with [PHONE]'])
})

t.test('nothing to mask: undefined, relay the original', async (t) => {
  const f = frame(BACKEND.ERROR_RESPONSE, [['S', 'ERROR'], ['C', '42P01'], ['M', 'relation "nope" does not exist']])
  t.equal(maskNoticeFrame(BACKEND.ERROR_RESPONSE, f.subarray(5), masking(), new MaskCounts()), undefined)
})

t.test('a malformed frame raises ProtocolError, never passes unmasked', async (t) => {
  t.throws(() => maskNoticeFrame(BACKEND.ERROR_RESPONSE, Buffer.from('Mada@example.com'), masking(), new MaskCounts()), { code: 'GH_PROTOCOL' })
})

t.test('keys over expressions and exclusion conflicts of a masked table are withheld', async (t) => {
  const detail = (d: string): string => {
    const f = frame(BACKEND.ERROR_RESPONSE, [['S', 'ERROR'], ['C', '23505'], ['D', d], ['t', 'customers']])
    return fieldsOf(maskNoticeFrame(BACKEND.ERROR_RESPONSE, f.subarray(5), masking(), new MaskCounts()) ?? f)[2][1]
  }
  t.equal(detail('Key (lower(name))=(jane roe) already exists.'), 'Key (lower(name))=([REDACTED]) already exists.')
  t.equal(detail('Key (id)=(7) is still referenced from table "orders".'), 'Key (id)=([REDACTED]) is still referenced from table "orders".')
  t.equal(detail('Key (during)=([1,5)) conflicts with existing key (during)=([2,3)).'), '[REDACTED]')
})
