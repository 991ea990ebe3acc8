import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { builtinRecognizers } from '../../../src/core/pii/builtin-recognizers.js'
import { prefilterOf } from '../../../src/core/pii/prefilter.js'
import { TriggerScanner } from '../../../src/core/pii/trigger-scanner.js'
import { TRIGGER_LOOKBACK_CHARS, type Candidate, type Recognizer, type Trigger } from '../../../src/core/pii/types.js'
import { SAMPLES } from './pii-samples.js'

/**
 * The stream masker releases text without scanning it when it holds no trigger, so a recognizer's
 * declared trigger (character and conditions) must be where it says near every span it can
 * report, scored high or low; a trigger after the span start must be inside the span.
 */
const recognizers = builtinRecognizers(8192)

/** The definition of Trigger.digitRun, as a regex over the text up to the digit. */
function endsDigitRun ({ min, joiners }: { min: number; joiners: string }, text: string, i: number): boolean {
  return new RegExp(`\\d(?:[${joiners.replace(/[-\]\\^]/g, '\\$&')}]?\\d){${min - 1}}$`).test(text.slice(0, i + 1))
}

/** Whether text[i] is a trigger of `trigger`: one of its characters, for which its conditions hold. */
function isTriggerAt (trigger: Trigger, text: string, i: number): boolean {
  const c = text[i]
  if (c === undefined || !trigger.chars.includes(c)) return false
  if (trigger.digitRun !== undefined && /\d/.test(c)) return endsDigitRun(trigger.digitRun, text, i)
  return trigger.confirm === undefined || trigger.confirm(text, i)
}

/** The candidates of `r` in `text` whose declared trigger is not where it says. */
function misplaced (r: Recognizer, text: string): Candidate[] {
  const trigger = r.trigger
  if (trigger === undefined) throw new Error(`${r.entity} recognizer has no trigger`)
  const bad: Candidate[] = []
  r.scan(text, 0, (c) => {
    const last = Math.min(c.start + trigger.lead, Math.max(c.start, c.end - 1))
    let found = false
    for (let i = Math.max(0, c.start - trigger.trail); i <= last && !found; i++) found = isTriggerAt(trigger, text, i)
    if (!found) bad.push(c)
  })
  return bad
}

const corpus = readFileSync(new URL('../../fixtures/pii/corpus.jsonl', import.meta.url), 'utf8')
  .split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { text: string }).text)

t.test('every built-in recognizer has a trigger near every span, on the corpus', async (t) => {
  let spans = 0
  for (const r of recognizers) {
    const bad = corpus.flatMap((text) => misplaced(r, text).map((c) => text.slice(c.start, c.end)))
    t.same(bad, [], `${r.entity}: ${r.trigger?.chars ?? ''}`)
    for (const text of corpus) r.scan(text, 0, () => { spans++ })
  }
  t.ok(spans > 500, `${spans} candidate spans checked`)
})

/** PII, near-PII (one digit short, one dot or colon short, a prefix without its key) and separators. */
const piece = fc.oneof(
  fc.constantFrom(...Object.values(SAMPLES).flat(), 'password = "', 'api_key: ', "PWD' =\t", 'postgres://u:', 'redis://:', '@db/x',
    'hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx', '4111 1111 111', '123-45-678', '415.555.267', '1.2.3', '10.0.0',
    '1:2:3:4:5', 'fe80:', 'GB8', 'AKI', 'ey', 'sk', 'xoxb', 'gh', '----', 'services', '://',
    // Shapes the samples lack: a 12-digit card, IPv6 without '::', every key prefix.
    '411111111117', '1:2:3:4:5:6:1.2.3.4', '2001:db8:0:0:1:0:0:1', 'ASIAY34FZKBOKMUTVV7A', 'ABIAIOSFODNN7EXAMPLE', 'ACCAIOSFODNN7EXAMPLE',
    'xoxp-1234567890-abcdefghij', 'ghs_1234567890abcdefghijklmnopqrstuvwxyzAB', 'github_pat_11ABCDEFG0123456789abcdefghij', 'rk_test_4eC39HqLyjWDarjtT1zdp7dc'),
  fc.string({ unit: fc.constantFrom(...'0123456789 -.:@+()/=_"\'abcxyzAKIJsk\n\t'.split('')), maxLength: 16 })
)
const piiLike = fc.array(piece, { maxLength: 12 }).map((p) => p.join(''))

t.test('every built-in recognizer has a trigger near every span, on random PII-like text', async (t) => {
  fc.assert(fc.property(piiLike, (text) => recognizers.every((r) => misplaced(r, text).length === 0)), { numRuns: 1500 })
  t.pass('1500 random texts')
})

t.test('a trigger condition reads at most TRIGGER_LOOKBACK_CHARS back', async (t) => {
  fc.assert(fc.property(piiLike, piiLike, (before, text) => {
    const whole = before + text
    return recognizers.every(({ trigger }) => {
      if (trigger?.confirm === undefined) return true
      for (let i = before.length; i < whole.length; i++) {
        if (!trigger.chars.includes(whole[i])) continue
        const from = Math.max(0, i - TRIGGER_LOOKBACK_CHARS)
        if (trigger.confirm(whole, i) !== trigger.confirm(whole.slice(from), i - from)) return false
      }
      return true
    })
  }), { numRuns: 500 })
  t.pass('500 random texts')
})

t.test('a stream finds exactly the triggers of the whole text, for any chunking', async (t) => {
  const pre = prefilterOf(recognizers)
  if (pre === undefined) throw new Error('built-in recognizers have a prefilter')
  // Digit runs near their minimums (8-13 digits), with joiners of every kind, cut anywhere.
  const runs = fc.array(fc.oneof(fc.stringMatching(/^\d{1,4}$/), fc.constantFrom(' ', '-', '.', '--', ' (', ') ', 'x', 'GB', ':')), { maxLength: 14 }).map((p) => p.join(''))
  fc.assert(fc.property(fc.oneof(runs, piiLike), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }), (text, sizes) => {
    const scanner = new TriggerScanner(pre)
    for (let at = 0, n = 0; at < text.length; at += sizes[n++ % sizes.length]) {
      const end = Math.min(text.length, at + sizes[n % sizes.length])
      scanner.read(text.slice(at, end), text.slice(0, end), at)
      for (const [k, r] of recognizers.entries()) {
        const trigger = r.trigger as Trigger
        let last = -1
        for (let i = 0; i < end; i++) if (isTriggerAt(trigger, text, i)) last = i
        // Bit k of triggered(from) says whether recognizer k's last trigger plus its trail reaches `from`.
        const reaches = (from: number): boolean => (scanner.triggered(from) & (1 << k)) !== 0
        if (last === -1 ? reaches(-1e9) : !reaches(last + trigger.trail) || reaches(last + trigger.trail + 1)) return false
      }
    }
    return true
  }), { numRuns: 400 })
  t.pass('400 random texts and chunkings')
})
