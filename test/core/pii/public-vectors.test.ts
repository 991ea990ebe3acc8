import t from 'tap'
import { createDetector } from '../../../src/core/pii/index.js'

// Values published outside this project (payment-processor test cards, the IBAN examples of the
// national registries as listed in the SWIFT IBAN registry): a check on the recognizers that does not
// come from the same hands as the corpus generator.
const TEST_CARDS = [
  '378282246310005', '371449635398431', '378734493671000', // Amex
  '30569309025904', '38520000023237', // Diners Club (14 digits)
  '6011111111111117', '6011000990139424', // Discover
  '3530111333300000', '3566002020360505', // JCB
  '5555555555554444', '5105105105105100', '2223003122003222', // Mastercard (51-55 and 2-series)
  '4111111111111111', '4012888888881881', '4222222222222' // Visa (16 and 13 digits)
]
const NOT_CARDS = ['4020202020204', '4050305040603020', '1234567812345678', '0000000000000000']
const IBANS = [
  'GB29 NWBK 6016 1331 9268 19', 'DE89 3704 0044 0532 0130 00', 'FR14 2004 1010 0505 0001 3M02 606',
  'NL91 ABNA 0417 1643 00', 'CH93 0076 2011 6238 5295 7', 'BE68 5390 0754 7034', 'ES91 2100 0418 4502 0005 1332',
  'IT60 X054 2811 1010 0000 0123 456', 'NO93 8601 1117 947', 'PL61 1090 1014 0000 0712 1981 2874',
  'SE45 5000 0000 0583 9825 7466', 'AT61 1904 3002 3457 3201', 'DK50 0040 0440 1162 43', 'FI21 1234 5600 0007 85',
  'IE29 AIBK 9311 5212 3456 78', 'LU28 0019 4006 4475 0000'
]

const detector = createDetector()
const typesIn = (text: string): string[] => detector.detect(text).map((f) => `${f.type} ${text.slice(f.start, f.end)}`)

t.test('payment processors\' test card numbers are cards', async (t) => {
  for (const n of TEST_CARDS) t.same(typesIn(`pay with ${n} now`), [`CREDIT_CARD ${n}`], n)
})

t.test('Luhn failures and non-issuer numbers published as invalid are not cards', async (t) => {
  for (const n of NOT_CARDS) t.same(typesIn(`ref ${n}`).filter((s) => s.startsWith('CREDIT_CARD')), [], n)
})

t.test('the registry example IBANs are IBANs, grouped or compact', async (t) => {
  for (const iban of IBANS) {
    t.same(typesIn(`to ${iban}.`), [`IBAN ${iban}`], iban)
    const compact = iban.replaceAll(' ', '')
    t.same(typesIn(`to ${compact}.`), [`IBAN ${compact}`], compact)
  }
})

t.test('RFC 5952 and RFC 4291 IPv6 text forms are addresses', async (t) => {
  for (const ip of ['2001:db8::1', '2001:db8:0:0:1:0:0:1', '2001:0db8:0000:0000:0000:ff00:0042:8329', '::', '::1', 'fe80::', '::ffff:198.51.100.7', '2001:db8:85a3::8a2e:370:7334']) {
    const found = typesIn(`addr ${ip} up`)
    if (ip === '::') t.same(found, [], ':: alone has no digit to mask')
    else t.same(found, [`IP_ADDRESS ${ip}`], ip)
  }
})
