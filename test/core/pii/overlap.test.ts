import t from 'tap'
import { createDetector, createMasker, createStreamMasker } from '../../../src/core/pii/index.js'

const detector = createDetector()
const types = (text: string): string[] => detector.detect(text).map((f) => `${f.type}:${text.slice(f.start, f.end)}`)

t.test('the most specific of overlapping findings wins', async (t) => {
  t.same(types('postgres://admin:pa55word@db.example.com/app'), ['SECRET:pa55word'], 'the URL password, not an email "pa55word@db.example.com"')
  t.same(types('ssn 234-56-7890'), ['US_SSN:234-56-7890'], 'an SSN is not also a phone number')
  t.same(types('{"api_key": "sk-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ0123456789abcdEFGH"}'), ['SECRET:sk-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ0123456789abcdEFGH'], 'two secret recognizers on one span give one finding')
  t.same(types('iban GB82WEST12345698765432'), ['IBAN:GB82WEST12345698765432'])
})

t.test('a less specific candidate cut short by a more specific one keeps its part before it', async (t) => {
  t.same(types('+49 30 901820 4111 1111 1111 1111'), ['PHONE:+49 30 901820', 'CREDIT_CARD:4111 1111 1111 1111'])
  t.same(types('+49 30 901820 192.168.1.10'), ['PHONE:+49 30 901820', 'IP_ADDRESS:192.168.1.10'])
})

t.test('findings never overlap and come in text order', async (t) => {
  const text = 'a@b.co 10.0.0.1 4111111111111111 +44 20 7946 0958 password=abc123xyz postgres://u:p4ss@h.io/x 123-45-6789'
  const found = detector.detect(text)
  t.equal(found.length, 7)
  for (let i = 1; i < found.length; i++) t.ok(found[i].start >= found[i - 1].end, `${found[i - 1].type} ends before ${found[i].type} starts`)
})

t.test('a custom recognizer outranks PHONE and IP_ADDRESS but not checksummed types', async (t) => {
  const d = createDetector({ custom: [{ entity: 'TICKET', pattern: '[0-9]{3}-[0-9]{3}-[0-9]{4}' }, { entity: 'ACCOUNT', pattern: '4111 1111 1111 1111' }] })
  const text = 'ticket 415-555-2671, card 4111 1111 1111 1111'
  t.same(d.detect(text).map((f) => f.type), ['TICKET', 'CREDIT_CARD'])
})

t.test('entities restrict which types are looked for', async (t) => {
  const d = createDetector({ entities: ['EMAIL'] })
  t.same(d.entities, ['EMAIL'])
  t.same(d.detect('a@b.co 10.0.0.1').map((f) => f.type), ['EMAIL'])
  t.same(createMasker({ style: 'label', entities: ['IP_ADDRESS'] }).mask('a@b.co 10.0.0.1').masked, 'a@b.co [IP_ADDRESS]')
})

t.test('an empty entity list masks nothing, in whole texts and streams', async (t) => {
  const m = createMasker({ style: 'label', entities: [] })
  t.equal(m.mask('a@b.co 10.0.0.1').masked, 'a@b.co 10.0.0.1')
  const s = createStreamMasker(m)
  t.equal(s.push('a@b.co '), 'a@b.co ', 'nothing is held back either')
  t.equal(s.end(), '')
})

t.test('an unknown entity name is refused with the known ones listed', async (t) => {
  t.throws(() => createDetector({ entities: ['EMAILS'] }), { code: 'GH_RECOGNIZER', message: /unknown entity 'EMAILS'.*EMAIL, PHONE/ })
})
