/**
 * PII masking throughput: the whole-text masker on text without PII and on dense PII, and the
 * stream masker over the same texts in chunks of several sizes, with its ratio to the whole-text run.
 *
 * Run: npx tsx bench/pii-mask.ts            (about 30 s; numbers in MB/s of UTF-16 text, 1 MB = 1e6 chars)
 * Target (issue 4): whole-text >= 50 MB/s on clean text; streaming within 2x of whole-text.
 */
import { faker } from '@faker-js/faker'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createMasker, createStreamMasker, type Masker } from '../src/core/pii/index.js'

const TEXT_CHARS = 2_000_000
faker.seed(7)

/** Prose, log-like lines, numbers, dates, prices, versions: everything but PII. */
function cleanText (): string {
  const parts: string[] = []
  let n = 0
  while (n < TEXT_CHARS) {
    const p = faker.helpers.arrayElement([
      () => faker.lorem.paragraph(),
      () => `${faker.date.recent().toISOString()} INFO request ${faker.string.uuid()} took ${faker.number.int(900)}ms status=200 build ${faker.system.semver()}\n`,
      () => `Order #${faker.number.int(1e7)} total ${faker.commerce.price()} USD shipped on ${faker.date.past().toLocaleDateString('en-US')}.`,
      () => faker.hacker.phrase(),
      () => `{"id":${faker.number.int(1e6)},"name":"${faker.commerce.productName()}","price":${faker.commerce.price()},"tags":["${faker.lorem.word()}"]}\n`
    ])()
    parts.push(p, ' ')
    n += p.length + 1
  }
  return parts.join('')
}

/** The labelled corpus' samples that hold PII, repeated: several findings per 100 characters. */
function densePiiText (): string {
  const file = fileURLToPath(new URL('../test/fixtures/pii/corpus.jsonl', import.meta.url))
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { text: string; spans: unknown[] })
  const pii = lines.filter((l) => l.spans.length > 0).map((l) => l.text).join('\n')
  return pii.repeat(Math.ceil(TEXT_CHARS / pii.length)).slice(0, TEXT_CHARS)
}

function mbPerSecond (chars: number, run: () => void): number {
  run() // warm-up
  let best = Infinity
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    run()
    best = Math.min(best, performance.now() - t0)
  }
  return chars / 1e6 / (best / 1000)
}

function streamed (masker: Masker, text: string, chunk: number): string {
  const s = createStreamMasker(masker)
  let out = ''
  for (let i = 0; i < text.length; i += chunk) out += s.push(text.slice(i, i + chunk))
  return out + s.end()
}

const masker = createMasker({ style: 'label' })
const rows: Array<Record<string, string>> = []
for (const [name, text] of [['clean', cleanText()], ['dense PII', densePiiText()]] as const) {
  const whole = masker.mask(text)
  const wholeMbs = mbPerSecond(text.length, () => { masker.mask(text) })
  rows.push({ text: name, masker: 'whole-text', 'MB/s': wholeMbs.toFixed(1), 'vs whole': '1.00', findings: String(whole.findings.length) })
  for (const chunk of [16, 256, 4096]) {
    if (streamed(masker, text, chunk) !== whole.masked) throw new Error(`stream output differs from whole-text output (${name}, chunk ${chunk})`)
    const mbs = mbPerSecond(text.length, () => { streamed(masker, text, chunk) })
    rows.push({ text: name, masker: `stream, ${chunk}-char chunks`, 'MB/s': mbs.toFixed(1), 'vs whole': (wholeMbs / mbs).toFixed(2), findings: '' })
  }
}
console.log(`node ${process.version}, ${TEXT_CHARS / 1e6}M chars per text, best of 5`)
console.table(rows)
