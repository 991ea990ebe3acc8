import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { builtinRecognizers } from '../../../src/core/pii/builtin-recognizers.js'
import type { Candidate, Recognizer } from '../../../src/core/pii/types.js'
import { SAMPLES } from './pii-samples.js'

/**
 * The stream masker releases text without scanning it when it holds no trigger character, so a
 * recognizer's declared trigger must be near every span it can report, scored high or low.
 */
const recognizers = builtinRecognizers(8192)

/** The candidates of `r` in `text` whose declared trigger is not where it says. */
function misplaced (r: Recognizer, text: string): Candidate[] {
  const trigger = r.trigger
  if (trigger === undefined) throw new Error(`${r.entity} recognizer has no trigger`)
  const bad: Candidate[] = []
  r.scan(text, 0, (c) => {
    const near = text.slice(Math.max(0, c.start - trigger.trail), Math.max(0, c.start + trigger.lead + 1))
    if (![...near].some((ch) => trigger.chars.includes(ch))) bad.push(c)
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

t.test('every built-in recognizer has a trigger near every span, on random PII-like text', async (t) => {
  const piece = fc.oneof(
    fc.constantFrom(...Object.values(SAMPLES).flat(), 'password = "', 'api_key: ', 'postgres://u:', '@db/x', 'hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx'),
    fc.string({ unit: fc.constantFrom(...'0123456789 -.:@+()/=_"\'abcxyzAKIJsk\n'.split('')), maxLength: 16 })
  )
  fc.assert(fc.property(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), (text) => recognizers.every((r) => misplaced(r, text).length === 0)), { numRuns: 1500 })
  t.pass('1500 random texts')
})
