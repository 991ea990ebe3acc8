import assert from 'node:assert'
import type { ScanState } from './detector.js'
import type { Masker } from './masker.js'
import { CONTEXT_CHARS, type Finding } from './types.js'

/**
 * Masks a text that arrives in chunks. The concatenation of every push() result and end() equals
 * masker.mask(whole text).masked for any chunking, and findings() equals its findings.
 */
export interface StreamMasker {
  /** Masked text that no later chunk can change; the rest is held back. */
  push (chunk: string): string
  /** Everything still held back, masked. The masker takes no more chunks after this. */
  end (): string
  /** Findings so far, with offsets into the whole stream. */
  findings (): Finding[]
  /** Upper bound on held-back text, in UTF-16 units (see docs/pii.md "Streaming"). */
  readonly maxHoldBackChars: number
}

class PiiStreamMasker implements StreamMasker {
  readonly maxHoldBackChars: number
  readonly #masker: Masker
  /** Text from #base (CONTEXT_CHARS before #emitted, for lookbehinds and context words) to the end. */
  #buf = ''
  #base = 0
  /** Stream index up to which output has been returned. */
  #emitted = 0
  #findings: Finding[] = []
  #isEnded = false
  readonly #scan: ScanState

  constructor (masker: Masker) {
    this.#masker = masker
    this.maxHoldBackChars = masker.detector.maxHoldBackChars
    this.#scan = masker.detector.newScanState()
  }

  push (chunk: string): string {
    if (this.#isEnded) throw new TypeError('StreamMasker.push() after end()')
    if (chunk === '') return ''
    this.#buf += chunk
    return this.#flush(false)
  }

  end (): string {
    if (this.#isEnded) return ''
    this.#isEnded = true
    return this.#flush(true)
  }

  findings (): Finding[] {
    return this.#findings.slice()
  }

  #flush (isFinal: boolean): string {
    const from = this.#emitted - this.#base
    const { findings, next } = this.#masker.detector.step(this.#buf, from, isFinal, this.#scan, this.#base)
    const out = this.#masker.apply(this.#buf, findings, from, next)
    for (const f of findings) this.#findings.push({ ...f, start: f.start + this.#base, end: f.end + this.#base })
    this.#emitted = this.#base + next
    const base = Math.max(this.#base, this.#emitted - CONTEXT_CHARS)
    this.#buf = this.#buf.slice(base - this.#base)
    this.#base = base
    assert(isFinal ? this.#buf.length === this.#emitted - base : this.#buf.length - (this.#emitted - base) <= this.maxHoldBackChars, 'stream masker held back more than its bound')
    return out
  }
}

/** Wraps a masker for text that arrives in chunks (SSE deltas, COPY data, log tails). */
export function createStreamMasker (masker: Masker): StreamMasker {
  return new PiiStreamMasker(masker)
}
