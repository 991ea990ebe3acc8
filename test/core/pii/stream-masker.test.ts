import fc from 'fast-check'
import t from 'tap'
import { createMasker, createStreamMasker, type Masker } from '../../../src/core/pii/index.js'
import { SAMPLES } from './pii-samples.js'

/**
 * Pushes `text` cut at `cuts` (any numbers, taken modulo the length). The stream masker asserts its
 * hold-back bound after every push, so a violation fails the property too.
 */
function maskChunked (masker: Masker, text: string, cuts: number[]): { out: string; findings: unknown } {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  const stream = createStreamMasker(masker)
  let out = ''
  let prev = 0
  for (const p of [...points, text.length]) {
    out += stream.push(text.slice(prev, p))
    prev = p
  }
  out += stream.end()
  return { out, findings: stream.findings() }
}

const allSamples = Object.values(SAMPLES).flat()
/** Fragments that form PII, near-PII, separators and context words, in any order. */
const fragment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...allSamples) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789 -.:@+()/\n=abcxyzAKIsk_eyJ'.split('')), maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(' ', '\n', ', ', '. ', ' call ', ' SSN: ', 'password=', 'postgres://u:', '@db.internal/x', 'x@', '.com', '-----BEGIN ', 'version ', '😀', 'ü', 'postgres://ü:p^ß|', 'jö@exämple.com') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }
)
const textWithPii = fc.array(fragment, { maxLength: 14 }).map((parts) => parts.join(''))

const label = createMasker({ style: 'label' })

t.test('any chunking gives the whole-text output and findings (label style)', async (t) => {
  fc.assert(fc.property(textWithPii, fc.array(fc.nat(), { maxLength: 12 }), (text, cuts) => {
    const whole = label.mask(text)
    const { out, findings } = maskChunked(label, text, cuts)
    return out === whole.masked && JSON.stringify(findings) === JSON.stringify(whole.findings)
  }), { numRuns: 400 })
  t.pass('400 random texts and chunkings')
})

t.test('any chunking gives the whole-text output with hash style and a custom recognizer', async (t) => {
  const masker = createMasker({
    style: 'hash',
    hashKey: Buffer.alloc(32, 1),
    custom: [{ entity: 'EMPLOYEE_ID', pattern: '\\bEMP-[0-9]{4,6}\\b', context: ['employee'] }]
  })
  const withIds = fc.array(fc.oneof(fragment, fc.constantFrom('EMP-1234', 'EMP-', '12345', ' employee ')), { maxLength: 14 }).map((p) => p.join(''))
  fc.assert(fc.property(withIds, fc.array(fc.nat(), { maxLength: 12 }), (text, cuts) => maskChunked(masker, text, cuts).out === masker.mask(text).masked), { numRuns: 300 })
  t.pass('300 random texts and chunkings')
})

t.test('one character at a time gives the whole-text output', async (t) => {
  const text = `Hi ${SAMPLES.EMAIL[0]}, card ${SAMPLES.CREDIT_CARD[0]}, key ${SAMPLES.SECRET[7]} and ${SAMPLES.SECRET[6]}. Bye ${SAMPLES.PHONE[1]}`
  const stream = createStreamMasker(label)
  let out = ''
  for (const ch of text) out += stream.push(ch)
  t.equal(out + stream.end(), label.mask(text).masked)
})

t.test('an email split across three chunks is never emitted in part', async (t) => {
  const stream = createStreamMasker(label)
  const outs = [stream.push('Contact jo'), stream.push('hn.smith@exa'), stream.push('mple.com today, thanks'), stream.end()]
  t.equal(outs[0], 'Contact ', 'text before the email goes out at once')
  for (const o of outs) t.notMatch(o, /john|smith|exa/, `no part of the address in ${JSON.stringify(o)}`)
  t.equal(outs.join(''), 'Contact [EMAIL] today, thanks')
  t.same(stream.findings(), [{ type: 'EMAIL', start: 8, end: 30, score: 0.9 }])
})

t.test('text that cannot become PII goes out without waiting for the end', async (t) => {
  const stream = createStreamMasker(label)
  t.equal(stream.push('Hello there. '), 'Hello there. ')
  t.equal(stream.push('How are you'), 'How are ', 'only the last word, which could still grow into a match, is held')
  t.equal(stream.end(), 'you')
})

t.test('a megabyte without PII streams through unchanged with a bounded hold-back', async (t) => {
  const line = 'The quick brown fox jumps over the lazy dog; version 1.2.3 shipped on 2024-01-15 for $12.99.\n'
  const text = line.repeat(Math.ceil(1e6 / line.length))
  const stream = createStreamMasker(label)
  let out = ''
  let maxHeld = 0
  for (let i = 0; i < text.length; i += 65536) {
    out += stream.push(text.slice(i, i + 65536))
    maxHeld = Math.max(maxHeld, Math.min(i + 65536, text.length) - out.length)
  }
  out += stream.end()
  t.equal(out, text)
  t.ok(maxHeld < 100, `held back at most ${maxHeld} characters`)
})

t.test('an unbounded run without spaces is held back no more than maxHoldBackChars', async (t) => {
  for (const run of ['a'.repeat(20000), 'eyJ' + 'A'.repeat(20000), '4'.repeat(20000), '-----BEGIN PRIVATE KEY-----\n' + 'QUJD'.repeat(5000)]) {
    const stream = createStreamMasker(label)
    let out = ''
    let maxHeld = 0
    for (let i = 0; i < run.length; i += 100) {
      out += stream.push(run.slice(i, i + 100))
      maxHeld = Math.max(maxHeld, Math.min(i + 100, run.length) - out.length)
    }
    t.ok(maxHeld <= stream.maxHoldBackChars, `${run.slice(0, 12)}…: held ${maxHeld} <= ${stream.maxHoldBackChars}`)
    t.ok(out.length > run.length - stream.maxHoldBackChars - 100, 'most of the run went out before end()')
    t.equal(out + stream.end(), label.mask(run).masked, 'same output as the whole-text masker')
  }
})

t.test('a PEM block longer than maxMatchChars is not a match, in whole texts and streams alike', async (t) => {
  const masker = createMasker({ style: 'label', maxMatchChars: 256 })
  const long = `-----BEGIN PRIVATE KEY-----\n${'QUJD'.repeat(100)}\n-----END PRIVATE KEY-----`
  const short = `-----BEGIN PRIVATE KEY-----\n${'QUJD'.repeat(20)}\n-----END PRIVATE KEY-----`
  t.equal(masker.mask(short).masked, '[SECRET]')
  t.equal(masker.mask(long).masked, long)
  t.equal(maskChunked(masker, long, [5, 100, 300]).out, long)
})

t.test('push after end is a caller bug', async (t) => {
  const stream = createStreamMasker(label)
  stream.end()
  t.throws(() => stream.push('x'), TypeError)
  t.equal(stream.end(), '', 'end() twice returns nothing more')
})

t.test('long texts with long secrets and many cuts give the whole-text output', async (t) => {
  const long = fc.array(fc.oneof(fragment, fc.constantFrom(
    `-----BEGIN RSA PRIVATE KEY-----\n${'TUlJRW93SUJBQUtDQVFFQXUxU1UxTGZWTFBIQ296TXhIMk1vNGxnT0VlUHpObTB0Ukdl\n'.repeat(12)}-----END RSA PRIVATE KEY-----`,
    `eyJhbGciOiJSUzI1NiJ9.eyJ${'c3ViIjoiMTIzNDU2Nzg5MCJ9'.repeat(40)}.${'QUJD'.repeat(60)}`,
    'x'.repeat(3000), '7'.repeat(500), ' '.repeat(300)
  )), { minLength: 5, maxLength: 40 }).map((p) => p.join(''))
  fc.assert(fc.property(long, fc.array(fc.nat(), { maxLength: 60 }), (text, cuts) => {
    const whole = label.mask(text)
    const { out, findings } = maskChunked(label, text, cuts)
    return out === whole.masked && JSON.stringify(findings) === JSON.stringify(whole.findings)
  }), { numRuns: 40 })
  t.pass('40 long texts')
})

t.test('empty chunks, CRLF and a stream that ends at once', async (t) => {
  const stream = createStreamMasker(label)
  t.equal(stream.push(''), '')
  const out = stream.push('a@b.co\r\n') + stream.push('') + stream.push('\r\n10.0.0.1\r\n') + stream.end()
  t.equal(out, '[EMAIL]\r\n\r\n[IP_ADDRESS]\r\n')
  const empty = createStreamMasker(label)
  t.equal(empty.end(), '')
  t.same(empty.findings(), [])
})

t.test('the null style writes labels in streams too', async (t) => {
  const masker = createMasker({ style: 'null' })
  const stream = createStreamMasker(masker)
  t.equal(stream.push('mail a@b') + stream.push('.co now') + stream.end(), 'mail [EMAIL] now')
})

t.test('label-masked output reveals no PII that masking missed, and findings are sorted and disjoint', async (t) => {
  // Masking the output again finds nothing but labels (`password=-[PHONE]` is a secret value made of
  // a label). Values glued together by characters they may contain can hide each other ("x@y.com::1":
  // no IPv6 right after a word; "sk-...-fe80::1"), so here each fragment ends with a separator.
  const separated = fc.array(fc.tuple(fragment, fc.constantFrom(' ', '\n', ', ', '; ', '\t', '"', ')', '|')), { maxLength: 14 })
    .map((parts) => parts.map(([f, sep]) => f + sep).join(''))
  fc.assert(fc.property(separated, (text) => {
    const { masked, findings } = label.mask(text)
    for (let i = 1; i < findings.length; i++) if (findings[i].start < findings[i - 1].end) return false
    return label.mask(masked).findings.every((f) => /\[[A-Z_]+\]/.test(masked.slice(f.start, f.end)))
  }), { numRuns: 400 })
  t.pass('400 random texts')
})

t.test('custom patterns with anchors, word boundaries and (?s) give the whole-text output in streams', async (t) => {
  const masker = createMasker({
    style: 'label',
    entities: ['EMAIL'],
    custom: [
      { entity: 'LINE_ID', pattern: '(?m)^ID[0-9]{3}$' },
      { entity: 'TEXT_END', pattern: 'END[0-9]{2}$' },
      { entity: 'TEXT_START', pattern: '^START' },
      { entity: 'BLOCK', pattern: '(?s)<<.{1,40}>>' },
      { entity: 'WORD', pattern: '\\bab{1,3}c\\b', validate: 'none' }
    ]
  })
  const pieces = fc.constantFrom('ID123', '\n', 'ID12', 'END42', 'START', '<<', '>>', 'a\nb', 'abbc', 'abc', ' ', 'x', 'a@b.co', '3')
  const text = fc.array(pieces, { maxLength: 20 }).map((p) => p.join(''))
  fc.assert(fc.property(text, fc.array(fc.nat(), { maxLength: 10 }), (s, cuts) => {
    const whole = masker.mask(s)
    const { out, findings } = maskChunked(masker, s, cuts)
    return out === whole.masked && JSON.stringify(findings) === JSON.stringify(whole.findings)
  }), { numRuns: 400 })
  t.equal(masker.mask('START\nID123\nEND42').masked, '[TEXT_START]\n[LINE_ID]\n[TEXT_END]')
  t.equal(masker.mask('xSTART ID1234 END42 x').masked, 'xSTART ID1234 END42 x', 'anchors hold at the text ends only')
})

/** Pushes `text` in chunks of the given sizes (cycled), as SSE deltas arrive. */
function maskInSizes (masker: Masker, text: string, sizes: number[]): { out: string; findings: unknown } {
  const stream = createStreamMasker(masker)
  let out = ''
  for (let i = 0, k = 0; i < text.length; k++) {
    const n = sizes[k % sizes.length]
    out += stream.push(text.slice(i, i + n))
    i += n
  }
  out += stream.end()
  return { out, findings: stream.findings() }
}

/** Whether pushing `text` in chunks of `sizes` gives the whole-text masker's output and findings. */
function streamsAsWhole (masker: Masker, text: string, sizes: number[]): boolean {
  const whole = masker.mask(text)
  const { out, findings } = maskInSizes(masker, text, sizes)
  return out === whole.masked && JSON.stringify(findings) === JSON.stringify(whole.findings)
}

t.test('prose with sparse PII in small deltas gives the whole-text output (released without detection steps)', async (t) => {
  // Words without trigger characters go out without a detection step; this mixes them with PII,
  // trigger characters inside words (well-known, a_b, Java, x:y, A1) and context words.
  const word = fc.constantFrom('the', 'quick', 'brown', 'fox', 'well-known', 'snake_case', 'Java', 'API', 'note:', 'a=b', 'x', 'mail', 'card', 'call', 'ssn', 'password', 'secret', 'is', 'sk', 'eyJ', 'AKIA', 'ghp', 'v1.2', '(see)', '+', '10', '@', 'ü', '😀')
  const piece = fc.oneof({ weight: 6, arbitrary: word }, { weight: 1, arbitrary: fc.constantFrom(...allSamples) })
  const sep = fc.constantFrom(' ', ' ', ' ', '\n', ', ', '. ', '', ':', '=')
  const prose = fc.array(fc.tuple(piece, sep), { maxLength: 40 }).map((ps) => ps.map(([p, s]) => p + s).join(''))
  fc.assert(fc.property(prose, fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 8 }), (text, sizes) => streamsAsWhole(label, text, sizes)), { numRuns: 500 })
  t.pass('500 random texts and delta sizes')
})

t.test('words stream out at once; a number waits only while it can grow into PII, a card until a blank', async (t) => {
  const stream = createStreamMasker(label)
  t.equal(stream.push('The quick brown'), 'The quick ', 'plain words: all but the last word')
  t.equal(stream.push(' fox jumps'), 'brown fox ')
  t.equal(stream.push(' over order 4111'), 'jumps over order ', 'four digits are no trigger: only the number, which may grow into a card, is held')
  t.equal(stream.push(' took 523ms'), '4111 took ')
  // Digits, '=', ':', '-', '.' and 'A' that cannot be part of PII here start no detection step.
  t.equal(stream.push(' status=200 at 12:34:56'), '523ms status=200 at ')
  t.equal(stream.push(' on 2024-05-01, v1.2.3, API'), '12:34:56 on 2024-05-01, v1.2.3, ')
  t.equal(stream.push(' card 4111'), 'API card ')
  let out = ''
  for (const delta of [' 1111', ' 1111', ' 1111']) out += stream.push(delta)
  t.equal(out, '', 'twelve digits are a trigger: held until a blank ends the number')
  t.equal(stream.push(' was'), '[CREDIT_CARD] ')
  t.equal(stream.push(' paid'), 'was ')
  t.equal(stream.end(), 'paid')
})

/**
 * Values at the edges of the trigger conditions (docs/pii.md "Streaming"): one digit, dot or colon
 * short of a trigger and just enough, key prefixes with and without their key, each cut at every
 * position and pushed one character at a time.
 */
const NEAR_TRIGGERS = [
  '4111 1111 1111 1111', '4111 1111 111', '4111-1111-1111', '411111111117', '41111111111', '378282246310005',
  '123-45-6789', '123-45-678', '123 45 6789', '12345678', '123456789',
  '415-555-2671', '415.555.267', '1-415-555-2671', '(415) 555-2671', '4155552671', '415555267', '+44 20 7946 0958',
  '10.0.0.1', '10.0.0', '1.2.3.4.5', 'v1.2.3.4', '255.255.255.255.', '1.2.3.',
  'fe80::1', '::1', '12:34:56', '1:2:3:4:5', '1:2:3:4:5:6:1.2.3.4', '2001:db8:0:0:1:0:0:1', 'a:b:c:d:e:f',
  'GB82 WEST 1234 5698 7654 32', 'GB82WEST12345698765432', 'GB8', 'gB82WEST12345698765432', 'XGB82WEST12345698765432',
  'AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPL', 'API', 'ACCAIOSFODNN7EXAMPLE', 'ACC',
  'password=hunter2!x', 'PASSWORD = "hunter2!x"', 'api_key\': \'abcd1234', 'pass=hunter2!x', 'passwd\t\t\t:abcd1234', 'passwd    :abcd1234',
  'postgres://user:s3cret@db', 'redis://:s3cret@cache', 'https://example.com:8080/x', 'mailto:a@b.co',
  'sk-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ0123456789abcdEFGH', 'task-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ0123456789abcdEFGH',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'key', 'eyJ',
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----', '----BEGIN', '-----',
  'hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'
]

t.test('values at the edges of the trigger conditions, cut at every position, give the whole-text output', async (t) => {
  for (const value of NEAR_TRIGGERS) {
    for (const text of [`see ${value} ok`, `${value}`, `x=${value}.`]) {
      const whole = label.mask(text)
      for (let cut = 0; cut <= text.length; cut++) {
        const { out, findings } = maskChunked(label, text, [cut, cut + 1 + (cut % 7)])
        if (out !== whole.masked || JSON.stringify(findings) !== JSON.stringify(whole.findings)) t.fail(`${JSON.stringify(text)} cut at ${cut}: ${out}`)
      }
      t.equal(maskInSizes(label, text, [1]).out, whole.masked, `${JSON.stringify(text)}, one character at a time`)
    }
    // A chunk over 256 characters is not read character by character: one ending inside the value.
    const padded = 'y '.repeat(150) + value + ' ok'
    const whole = label.mask(padded).masked
    for (let cut = 300; cut <= padded.length; cut++) {
      if (maskChunked(label, padded, [cut, cut + 2]).out !== whole) t.fail(`after 300 characters, ${JSON.stringify(value)} cut at ${cut - 300}`)
    }
  }
})

t.test('digit runs near the trigger minimums, in any chunking, give the whole-text output', async (t) => {
  // Groups of digits joined by every separator the digit recognizers know (or not), 8-16 digits in all.
  const run = fc.array(fc.oneof(fc.stringMatching(/^\d{1,4}$/), fc.constantFrom(' ', '-', '.', '--', ' (', ') ', '+', 'x', ':')), { minLength: 3, maxLength: 12 }).map((p) => p.join(''))
  const text = fc.array(fc.oneof(run, fc.constantFrom(' ', ' card ', ' ssn ', ' call ', 'GB82', '\n')), { maxLength: 6 }).map((p) => p.join(''))
  fc.assert(fc.property(text, fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }), (s, sizes) => streamsAsWhole(label, s, sizes)), { numRuns: 600 })
  t.pass('600 random texts and chunkings')
})

t.test('a PEM block streamed in small deltas goes out a few words after its END line', async (t) => {
  // Its lines end in blanks, so steps back off while the block is open; END is a trigger again.
  const body = Array.from({ length: 30 }, (_, i) => `MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC${i % 10}`).join('\n')
  const text = `key: -----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY----- is the key you asked for today`
  const stream = createStreamMasker(label)
  let out = ''
  const end = text.indexOf(' is the')
  for (let i = 0; i < end; i += 8) out += stream.push(text.slice(i, Math.min(i + 8, end)))
  t.equal(out, 'key: ', 'the open block is held')
  const words = text.slice(end).split(/(?= )/)
  for (const word of words.slice(0, 6)) out += stream.push(word)
  t.match(out, /^key: \[SECRET\] is the key /, 'out within six words after END')
  t.equal(out + stream.push(words.slice(6).join('')) + stream.end(), label.mask(text).masked)
})

t.test('a long word without trigger characters is held back at most 64 characters (an address local part)', async (t) => {
  const stream = createStreamMasker(label)
  const word = 'abcdefghij'.repeat(300)
  let out = ''
  let maxHeld = 0
  for (let i = 0; i < word.length; i += 16) {
    out += stream.push(word.slice(i, i + 16))
    maxHeld = Math.max(maxHeld, Math.min(i + 16, word.length) - out.length)
  }
  t.ok(maxHeld <= 64 + 16, `held at most ${maxHeld}`)
  const rest = stream.push('@example.com done') + stream.end()
  t.equal(out + rest, label.mask(word + '@example.com done').masked, 'same output as the whole-text masker')
})

t.test('small deltas give the whole-text output with a subset of entities (small hold-back bounds)', async (t) => {
  for (const entities of [['US_SSN'], ['EMAIL', 'IP_ADDRESS'], ['SECRET'], []]) {
    const masker = createMasker({ style: 'partial', entities })
    fc.assert(fc.property(textWithPii, fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 6 }), (text, sizes) => streamsAsWhole(masker, text, sizes)), { numRuns: 150 })
    t.pass(`entities ${entities.join(',') || '(none)'}: 150 random texts`)
  }
})
