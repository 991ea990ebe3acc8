import t from 'tap'
import { createMasker, HASH_HEX_CHARS } from '../../../src/core/pii/index.js'

const text = 'Mail john.smith@example.com, card 4111 1111 1111 1111, call +44 20 7946 0958, key sk_live_4eC39HqLyjWDarjtT1zdp7dc'
const key = Buffer.from('0123456789abcdef0123456789abcdef')

t.test('label replaces each finding with its type in brackets', async (t) => {
  t.equal(createMasker({ style: 'label' }).mask(text).masked, 'Mail [EMAIL], card [CREDIT_CARD], call [PHONE], key [SECRET]')
})

t.test('partial keeps the last 4 letters/digits and the separators; secrets show at most their last 4', async (t) => {
  const m = createMasker({ style: 'partial' })
  t.equal(m.mask(text).masked, 'Mail ****.*****@******e.com, card **** **** **** 1111, call +** ** **** 0958, key ****p7dc')
  t.equal(m.mask('ssn 123-45-6789').masked, 'ssn ***-**-6789')
  t.equal(m.mask('password=hunter22').masked, 'password=********', 'a short secret shows nothing')
  t.equal(m.mask('-----BEGIN PRIVATE KEY-----\nQUJDREVGR0hJSktMTU5PUA==\n-----END PRIVATE KEY-----').masked, '********')
})

t.test('hash gives TYPE_ and a keyed digest: equal values (however written) give equal tokens', async (t) => {
  const m = createMasker({ style: 'hash', hashKey: key })
  const a = m.mask('JOHN.SMITH@example.com and 4111-1111-1111-1111').masked
  const b = m.mask('john.smith@example.com and 4111 1111 1111 1111').masked
  t.equal(a, b, 'case of an email and separators of a card do not change the token')
  t.equal(m.mask('(415) 555-2671').masked, m.mask('+1 415 555 2671').masked, 'a phone hashes by its E.164 number')
  t.match(a, new RegExp(`^EMAIL_[0-9a-f]{${HASH_HEX_CHARS}} and CREDIT_CARD_[0-9a-f]{${HASH_HEX_CHARS}}$`))
  t.not(m.mask('a@example.com').masked, m.mask('b@example.com').masked, 'different values, different tokens')
  const other = createMasker({ style: 'hash', hashKey: Buffer.alloc(32, 9) })
  t.not(other.mask('a@example.com').masked, m.mask('a@example.com').masked, 'another key, other tokens')
  t.equal(createMasker({ style: 'hash', hashKey: key }).mask('a@example.com').masked, m.mask('a@example.com').masked, 'same key, same token across maskers')
})

t.test('hash without a key of at least 16 bytes is refused', async (t) => {
  t.throws(() => createMasker({ style: 'hash' }), { code: 'GH_RECOGNIZER' })
  t.throws(() => createMasker({ style: 'hash', hashKey: Buffer.alloc(8) }), { code: 'GH_RECOGNIZER' })
})

t.test('null writes labels inside text, and NULL for a whole value', async (t) => {
  const m = createMasker({ style: 'null' })
  t.equal(m.mask('mail a@b.co').masked, 'mail [EMAIL]')
  t.equal(m.maskValue('a@b.co'), null)
})

t.test('maskValue replaces the whole value, typed by the caller or by what it holds', async (t) => {
  t.equal(createMasker({ style: 'label' }).maskValue('anything at all', 'PHONE'), '[PHONE]')
  t.equal(createMasker({ style: 'label' }).maskValue('reach me at a@b.co'), '[EMAIL]')
  t.equal(createMasker({ style: 'label' }).maskValue('Jane Doe'), '[REDACTED]')
  t.equal(createMasker({ style: 'partial' }).maskValue('+1 415 555 2671'), '+* *** *** 2671')
  t.match(createMasker({ style: 'hash', hashKey: key }).maskValue('Jane Doe'), /^REDACTED_[0-9a-f]{12}$/)
})

t.test('an unknown style is refused', async (t) => {
  t.throws(() => createMasker({ style: 'blur' as 'label' }), { code: 'GH_RECOGNIZER', message: /unknown mask style 'blur'/ })
})
