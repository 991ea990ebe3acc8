import t from 'tap'
import { BUILTIN_ENTITIES, createDetector } from '../../../src/core/pii/index.js'
import { readCorpus, scoreCorpus } from './corpus-score.js'

// Thresholds from issue 4. The corpus: test/fixtures/pii/corpus.jsonl (see generate-corpus.ts there).
const MIN_RECALL = 0.98
const MIN_PRECISION = 0.95

t.test('on the labelled corpus every type reaches recall 0.98 and precision 0.95', async (t) => {
  const samples = readCorpus()
  t.ok(samples.length >= 300, `${samples.length} samples`)
  const detector = createDetector()
  const { scores, misses } = scoreCorpus(samples, (text) => detector.detect(text))
  t.same(scores.map((s) => s.type).sort(), [...BUILTIN_ENTITIES].sort(), 'every built-in type is in the corpus')
  t.comment('type         tp   fp  fn  precision  recall')
  for (const s of scores) {
    t.comment(`${s.type.padEnd(12)} ${String(s.tp).padStart(4)} ${String(s.fp).padStart(4)} ${String(s.fn).padStart(3)}  ${s.precision.toFixed(3).padStart(9)}  ${s.recall.toFixed(3).padStart(6)}`)
    t.ok(s.recall >= MIN_RECALL, `${s.type} recall ${s.recall.toFixed(3)}`)
    t.ok(s.precision >= MIN_PRECISION, `${s.type} precision ${s.precision.toFixed(3)}`)
  }
  for (const m of misses) t.comment(`${m.kind} ${m.type} in ${m.id}`)
})

t.test('the scorer counts a wrong span as one miss and one spurious finding', async (t) => {
  const samples = [{ id: 'x', kind: 'test', text: 'mail a@b.co', spans: [{ type: 'EMAIL', start: 5, end: 11 }] }]
  const { scores } = scoreCorpus(samples, () => [{ type: 'EMAIL', start: 5, end: 10, score: 1 }])
  t.same(scores, [{ type: 'EMAIL', tp: 0, fp: 1, fn: 1, precision: 0, recall: 0 }])
})
