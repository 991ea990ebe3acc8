import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Finding } from '../../../src/core/pii/index.js'

export interface LabelledSample { id: string; kind: string; text: string; spans: Array<{ type: string; start: number; end: number }> }
export interface TypeScore { type: string; tp: number; fp: number; fn: number; precision: number; recall: number }
export interface Miss { id: string; text: string; type: string; kind: 'missed' | 'spurious' }

/** The labelled corpus made by test/fixtures/pii/generate-corpus.ts. */
export function readCorpus (): LabelledSample[] {
  const file = fileURLToPath(new URL('../../fixtures/pii/corpus.jsonl', import.meta.url))
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LabelledSample)
}

/** Precision and recall per type; a finding counts only when type, start and end all match a label. */
export function scoreCorpus (samples: LabelledSample[], detect: (text: string) => Finding[]): { scores: TypeScore[]; misses: Miss[] } {
  const counts = new Map<string, { tp: number; fp: number; fn: number }>()
  const at = (type: string): { tp: number; fp: number; fn: number } => {
    let c = counts.get(type)
    if (c === undefined) { c = { tp: 0, fp: 0, fn: 0 }; counts.set(type, c) }
    return c
  }
  const misses: Miss[] = []
  for (const s of samples) {
    const key = (x: { type: string; start: number; end: number }): string => `${x.type}:${x.start}:${x.end}`
    const want = new Set(s.spans.map(key))
    const got = detect(s.text)
    const gotKeys = new Set(got.map(key))
    for (const f of got) {
      if (want.has(key(f))) at(f.type).tp++
      else { at(f.type).fp++; misses.push({ id: s.id, text: s.text.slice(f.start, f.end), type: f.type, kind: 'spurious' }) }
    }
    for (const w of s.spans) {
      if (!gotKeys.has(key(w))) { at(w.type).fn++; misses.push({ id: s.id, text: s.text.slice(w.start, w.end), type: w.type, kind: 'missed' }) }
    }
  }
  const scores = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([type, c]) => ({
    type, ...c, precision: c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp), recall: c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn)
  }))
  return { scores, misses }
}
