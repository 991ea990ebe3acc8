import fc from 'fast-check'
import { RE2JS } from 're2js'
import t from 'tap'
import { compileRecognizer, createDetector, createMasker, createStreamMasker, detectEntities, MAX_CUSTOM_MATCH_CHARS } from '../../../src/core/pii/index.js'
import { patternShapeOf } from '../../../src/core/pii/pattern-bounds.js'

t.test('a policy-declared recognizer finds its entity', async (t) => {
  const m = createMasker({ style: 'label', custom: [{ entity: 'EMPLOYEE_ID', pattern: '\\bEMP-[0-9]{6}\\b' }] })
  t.equal(m.mask('owner EMP-123456, reviewer EMP-1234567').masked, 'owner [EMPLOYEE_ID], reviewer EMP-1234567')
})

t.test('validate: luhn and mod97 reject values whose checksum fails', async (t) => {
  const d = createDetector({ entities: [], custom: [{ entity: 'CARD_REF', pattern: '\\b[0-9]{16}\\b', validate: 'luhn' }, { entity: 'ACCT', pattern: 'DE[0-9]{20}', validate: 'mod97' }] })
  t.same(d.detect('4111111111111111 4111111111111112').map((f) => f.start), [0])
  t.same(d.detect('DE89370400440532013000 DE89370400440532013001').map((f) => f.type), ['ACCT'])
})

t.test('a low score is reported only with a context word before the match', async (t) => {
  const d = createDetector({ entities: [], custom: [{ entity: 'BADGE', pattern: '\\b[0-9]{5}\\b', score: 0.3, context: ['badge'] }] })
  t.same(d.detect('room 12345'), [])
  t.same(d.detect('Badge no. 12345').map((f) => [f.type, f.score]), [['BADGE', 0.6]])
})

t.test('(?i) and other RE2 syntax work', async (t) => {
  const d = createDetector({ entities: [], custom: [{ entity: 'PROJECT', pattern: '(?i)project[ -]x[0-9]{2}' }] })
  t.same(d.detect('about PROJECT-X42 and project x07').length, 2)
})

t.test('bad patterns are refused with a message that says what to change', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['EMP-(\\d+', /invalid RE2 pattern: .*missing closing \)/],
    ['(?<=EMP)\\d{4}', /invalid RE2 pattern/],
    ['(a)\\1', /invalid RE2 pattern/],
    ['EMP-\\d+', /unboundedly long.*\\d\{1,20\}/],
    ['x*', /unboundedly long/],
    ['a|\\d?', /can match empty text/],
    [`[0-9]{1000}[0-9]{1000}`, new RegExp(`up to \\d+ characters; the limit is ${MAX_CUSTOM_MATCH_CHARS}`)]
  ]
  for (const [pattern, message] of bad) t.throws(() => compileRecognizer({ entity: 'EMP_ID', pattern }), { code: 'GH_RECOGNIZER', message }, pattern)
  t.throws(() => compileRecognizer({ entity: 'emp id', pattern: 'x' }), { code: 'GH_RECOGNIZER', message: /upper-case/ })
  t.throws(() => compileRecognizer({ entity: 'X', pattern: 'x', score: 2 }), { code: 'GH_RECOGNIZER', message: /score/ })
  t.throws(() => compileRecognizer({ entity: 'X', pattern: 'x', validate: 'crc' as 'luhn' }), { code: 'GH_RECOGNIZER', message: /validate/ })
})

t.test('a pattern built to backtrack runs in linear time', async (t) => {
  const d = createDetector({ entities: [], custom: [{ entity: 'X', pattern: '(a|aa){1,60}b' }] })
  const t0 = performance.now()
  t.same(d.detect('a'.repeat(5000)), [])
  t.comment(`5000 chars of 'a' against (a|aa){1,60}b: ${Math.round(performance.now() - t0)} ms`)
})

t.test('pattern length bounds follow RE2 syntax', async (t) => {
  const cases: Array<[string, number, number]> = [
    ['abc', 3, 3], ['a{2,5}', 2, 5], ['[a-z]{3}', 3, 6], ['(?i)ab|cde', 2, 3], ['\\bx\\b', 1, 1], ['\\Q.*\\E', 2, 2],
    ['(?P<n>a)(?:bc)?', 1, 3], ['a{2}?', 2, 2], ['x{,3}', 5, 5], ['\\pL\\p{Greek}\\x41\\x{1F600}', 4, 8], ['^a$', 1, 1], ['😀', 2, 2]
  ]
  for (const [p, min, max] of cases) t.same(patternShapeOf(p).bounds, { min, max }, p)
  t.equal(patternShapeOf('a+').bounds.max, Infinity)
  t.equal(patternShapeOf('(ab)*c').bounds.max, Infinity)
})

t.test('the characters a pattern\'s matches begin with are known when they are few ASCII ones', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['EMP-\\d{6}', 'E'], ['\\bEMP\\d{3}', 'E'], ['^X\\d', 'X'], ['(?i)emp-\\d{6}', 'Ee'], ['(?i:ab)c', 'Aa'],
    ['\\d{3}-\\d{4}', '0123456789'], ['[A-C][0-9]', 'ABC'], ['(?:ab|cd)x', 'ac'], ['a?b', 'ab'], ['(a|)b', 'ab'],
    ['[\\d-]x', '-0123456789'], ['[]a]x', ']a'], ['\\Qfoo\\E', 'f'], ['\\.\\d', '.'], ['(?P<n>Z\\d)', 'Z'],
    // Any character, a negated or non-ASCII class, or (?i) with k/s (RE2 folds them with U+212A and U+017F): unknown.
    ['.x', undefined], ['[^a]x', undefined], ['\\pLx', undefined], ['é\\d', undefined], ['[a-cé]x', undefined],
    ['\\x41b', undefined], ['[[:alpha:]]x', undefined], ['\\Wx', undefined], ['(?i)key-\\d', undefined], ['(?i)[r-t]x', undefined]
  ]
  for (const [p, chars] of cases) t.equal(patternShapeOf(p).firstChars, chars, p)
})

t.test('every RE2 match begins with one of the first characters patternShapeOf names', async (t) => {
  const piece = fc.constantFrom('a', 'b', 'K', 's', 'é', '-', '\\.', '\\d', '\\w', '\\s', '\\W', '.', '[a-c]', '[^x]', '[k-m]', '\\b', '^', '(?i)', '\\x41', '\\pL', '\\Qab\\E')
  const quantifier = fc.constantFrom('', '', '', '?', '*', '{0,2}', '{1,3}')
  const term = fc.tuple(piece, quantifier).map(([p, q]) => /^(?:\\b|\^|\(\?i\))$/.test(p) ? p : p + q)
  const branch = fc.array(term, { minLength: 1, maxLength: 4 }).map((ts) => ts.join(''))
  const group = fc.array(branch, { minLength: 1, maxLength: 3 }).map((bs) => `(?:${bs.join('|')})`)
  const pattern = fc.array(fc.oneof(term, group), { minLength: 1, maxLength: 4 }).map((ps) => ps.join(''))
  const text = fc.string({ unit: fc.constantFrom(...'abKsAS-. 9x\n', '\u212A', '\u017F', 'é'), maxLength: 16 })
  let checked = 0
  fc.assert(fc.property(pattern, text, (p, s) => {
    let re: RE2JS
    try { re = RE2JS.compile(p) } catch { return true }
    const first = patternShapeOf(p).firstChars
    if (first === undefined) return true
    const m = re.matcher(s)
    for (let at = 0; at < s.length && m.find(at); at = m.start() + 1) {
      if (m.end() === m.start()) continue
      checked++
      if (!first.includes(s[m.start()])) return false
    }
    return true
  }), { numRuns: 3000 })
  t.ok(checked > 100, `${checked} non-empty matches checked`)
})

t.test('a stream runs a custom recognizer only after its first characters and still masks every match', async (t) => {
  const masker = createMasker({ style: 'label', custom: [{ entity: 'EMPLOYEE_ID', pattern: '(?i)emp-\\d{3,6}' }, { entity: 'TICKET', pattern: '#\\d{4}' }] })
  t.equal(masker.detector.prefilter === undefined, false, 'the detector keeps its prefilter')
  const part = fc.constantFrom('EMP-', 'emp-', 'Emp', '-', '123', '4567', '#', '#12', ' ', '\n', 'the ', 'employee ', 'x', 'e', 'M', 'P')
  const text = fc.array(part, { maxLength: 24 }).map((ps) => ps.join(''))
  fc.assert(fc.property(text, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }), (s, sizes) => {
    const stream = createStreamMasker(masker)
    let out = ''
    for (let at = 0, k = 0; at < s.length; at += sizes[k++ % sizes.length]) out += stream.push(s.slice(at, at + sizes[k % sizes.length]))
    return out + stream.end() === masker.mask(s).masked
  }), { numRuns: 1000 })
  // Prose without an e, E or # is released as it comes, one word behind at most.
  const stream = createStreamMasker(masker)
  t.equal(stream.push('a lot of turnout today, but no rain '), 'a lot of turnout today, but no rain ')
})

t.test('detectEntities reports the types present in any of the texts', async (t) => {
  t.same([...detectEntities(['hello', 'mail a@b.co', 'from 10.0.0.1'])].sort(), ['EMAIL', 'IP_ADDRESS'])
  const custom = [{ entity: 'EMPLOYEE_ID', pattern: 'EMP-[0-9]{6}' }]
  t.same([...detectEntities(['EMP-123456'], custom)], ['EMPLOYEE_ID'])
  t.same([...detectEntities(['nothing here'], custom)], [])
})

t.test('detectEntities keeps the recognizers of different policy sets apart', async (t) => {
  const a = [{ entity: 'ALPHA_ID', pattern: 'A-[0-9]{4}' }]
  const b = [{ entity: 'BETA_ID', pattern: 'B-[0-9]{4}' }]
  t.same([...detectEntities(['A-1234 B-1234'], a)], ['ALPHA_ID'])
  t.same([...detectEntities(['A-1234 B-1234'], b)], ['BETA_ID'])
  t.same([...detectEntities(['A-1234 B-1234'])], [])
})

t.test('a bad recognizer in a masker is refused when the masker is built, not when it masks', async (t) => {
  t.throws(() => createMasker({ style: 'label', custom: [{ entity: 'X', pattern: '\\d+' }] }), { code: 'GH_RECOGNIZER' })
})
