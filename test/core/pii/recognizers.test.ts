import t from 'tap'
import { createDetector, type Finding } from '../../../src/core/pii/index.js'
import { SAMPLES } from './pii-samples.js'

const detector = createDetector()
const found = (text: string): Array<Pick<Finding, 'type' | 'start' | 'end'>> => detector.detect(text).map(({ type, start, end }) => ({ type, start, end }))
/** The findings of `value` placed inside `before` and `after`: one, covering exactly the value. */
const only = (type: string, before: string, value: string): Array<{ type: string; start: number; end: number }> => [{ type, start: before.length, end: before.length + value.length }]

t.test('every sample of every type is found with its exact span, in prose', async (t) => {
  for (const [type, values] of Object.entries(SAMPLES)) {
    for (const value of values) {
      const before = type === 'US_SSN' ? 'my SSN: ' : type === 'PHONE' ? 'call me on ' : 'see '
      t.same(found(`${before}${value}, thanks`), only(type, before, value), `${type} ${value}`)
    }
  }
})

t.test('offsets are JS string indices, after astral characters too', async (t) => {
  const text = '😀👋 mail me: bob@example.com'
  t.same(found(text), [{ type: 'EMAIL', start: text.indexOf('bob'), end: text.length }])
})

t.test('EMAIL: sentence punctuation and brackets stay outside; malformed addresses are not emails', async (t) => {
  t.same(found('(bob@example.com).'), only('EMAIL', '(', 'bob@example.com'))
  t.same(found('<a@b.io>, c@d.io'), [{ type: 'EMAIL', start: 1, end: 7 }, { type: 'EMAIL', start: 10, end: 16 }])
  for (const s of ['bob@localhost', '@handle', 'a..b@example.com', 'bob@-example.com', 'user@example.c0m', 'name@example']) t.same(found(s), [], s)
})

t.test('CREDIT_CARD: Luhn decides; wrong issuer, grouping or length is not a card', async (t) => {
  t.same(found('4111 1111 1111 1112'), [], 'Luhn failure')
  t.same(found('order 4111111111111112 shipped'), [], 'random 16 digits')
  t.same(found('9111 1111 1111 1117'), [], 'no issuer starts with 9')
  t.same(found('41 1111 1111 1111 11'), [], 'not a card grouping')
  t.same(found('4111-1111 1111-1111'), [], 'mixed separators')
  t.same(found('ref 41111111111111110000'), [], 'a longer number is not a card')
  t.same(found('card 4111 1111 1111 1111 exp 12/25'), only('CREDIT_CARD', 'card ', '4111 1111 1111 1111'))
})

t.test('US_SSN: unissued areas, groups and serials are rejected; bare digits need a context word', async (t) => {
  for (const s of ['000-12-3456', '666-12-3456', '900-12-3456', '999-12-3456', '123-00-4567', '123-45-0000']) t.same(found(`id ${s}`), [], s)
  t.same(found('invoice 123456789 paid'), [], 'nine bare digits')
  t.same(found('SSN 123456789 on file'), only('US_SSN', 'SSN ', '123456789'))
  t.same(found('zip 94105-1234'), [], 'ZIP+4 is not an SSN')
})

t.test('IBAN: mod-97 decides; unknown countries and wrong lengths are not IBANs', async (t) => {
  t.same(found('DE89 3704 0044 0532 0130 01'), [], 'check digits fail')
  t.same(found('DE89370400440532013000'), only('IBAN', '', 'DE89370400440532013000'))
  t.same(found('ZZ89370400440532013000'), [], 'unknown country')
  t.same(found('DE8937040044053201300'), [], 'one character short')
})

t.test('IP_ADDRESS: octets over 255, five parts, and version strings are not addresses', async (t) => {
  t.same(found('host 256.1.1.1'), [])
  t.same(found('1.2.3.4.5'), [])
  t.same(found('release v1.2.3.4 today'), [])
  t.same(found('upgrade to version 4.2.1.0'), [])
  t.same(found('at 12:30:45 today'), [], 'a time is not IPv6')
  t.same(found('mac 00:1A:2B:3C:4D:5E'), [], 'a MAC address is not IPv6')
  t.same(found('std::vector<int>'), [])
  t.same(found('ping 10.0.0.1.'), only('IP_ADDRESS', 'ping ', '10.0.0.1'))
})

t.test('PHONE: numbers outside the numbering plan, dates and bare digits without context are not phones', async (t) => {
  t.same(found('(123) 555-2671'), [], 'area codes never start with 1')
  t.same(found('on 2024-01-15 at 10:30'), [])
  t.same(found('tracking 4155552671 shipped'), [], 'ten bare digits without a context word')
  t.same(found('call 4155552671 today'), only('PHONE', 'call ', '4155552671'))
  t.same(found('+1 555'), [])
})

t.test('SECRET: key-like words, placeholders and code expressions are not secrets', async (t) => {
  for (const s of [
    'sk-learn is a package', 'task-management-system-for-everyone-v2', 'sk-this-is-not-a-real-key-at-all',
    'password: string', 'const password = req.body.password', 'api_key = os.environ["API_KEY"]',
    '"password": "********"', 'password=${DB_PASSWORD}', 'Reset your password: click the link'
  ]) t.same(found(s), [], s)
})

t.test('SECRET: a password in a URL or key=value is masked, not the key or the host', async (t) => {
  t.same(found('postgres://app:s3cr3t!@db.internal:5432/prod'), [{ type: 'SECRET', start: 15, end: 22 }])
  t.same(found('host=db user=etl password=hunter2 sslmode=require'), [{ type: 'SECRET', start: 26, end: 33 }])
  t.same(found('{"client_secret": "abc123def456"}'), [{ type: 'SECRET', start: 19, end: 31 }])
  t.same(found('DB_PASSWORD=Tr0ub4dor&3'), [{ type: 'SECRET', start: 12, end: 21 }], '& ends a value, as in a query string')
})
