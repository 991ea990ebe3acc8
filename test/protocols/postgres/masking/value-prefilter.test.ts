import t from 'tap'
import fc from 'fast-check'
import { createDetector } from '../../../../src/core/pii/index.js'
import { mayHoldPii } from '../../../../src/protocols/postgres/masking/value-prefilter.js'

const detector = createDetector()
const has = (s: string): boolean => detector.detect(s).length > 0

// Pieces of every built-in type, so random strings built from them often contain findings.
const PIECES = [
  'ada@example.com', '+1 415 555 0100', '(415) 555-0100', '4242 4242 4242 4242', '123-45-6789', 'DE89 3704 0044 0532 0130 00',
  '192.168.1.20', 'fe80::1', '::1', 'sk-AbCdEfGhIjKlMnOpQrStUv12', 'AKIAIOSFODNN7EXAMPLE', 'ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ',
  'xoxb-abcdefghijklmnop', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig', 'password=hunter', 'pwd: swordfish',
  'postgres://u:secretpw@db/x', '-----BEGIN PRIVATE KEY-----\nabcdefghijklmnopqrstuvwxyz\n-----END PRIVATE KEY-----',
  'hooks.slack.com/services/TABCDEFGH/BABCDEFGH/abcdefghijklmnopqrstuvwx', 'sk_live_abcdefghijkl', 'Alice', ' ', '-', '.', '1', 'x'
]

t.test('every value the detector finds something in passes the prefilter', async (t) => {
  for (const p of PIECES) if (has(p)) t.ok(mayHoldPii(Buffer.from(p)), p)
  fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 }), fc.stringMatching(/^[0-9 .:+@=_-]{0,14}$/)), { maxLength: 6 }), (parts) => {
    const s = parts.join('')
    return !has(s) || mayHoldPii(Buffer.from(s))
  }), { numRuns: 3000 })
})

t.test('ordinary values are skipped', async (t) => {
  for (const s of ['Alice Smith', 'Berlin', 'ORD-12', 'pending', 'Jürgen Müller', '3.14', '']) t.notOk(mayHoldPii(Buffer.from(s)), s)
})

t.test('a range of a larger buffer is tested alone', async (t) => {
  const buf = Buffer.from('Alice|ada@example.com')
  t.notOk(mayHoldPii(buf, 0, 5))
  t.ok(mayHoldPii(buf, 6))
})
