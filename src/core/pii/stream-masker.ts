import assert from 'node:assert'
import type { Prefilter, ScanState } from './detector.js'
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

/** Held text after a trigger waits for a blank after it, or for this much (the latency bound). */
const STEP_CHARS = 256
/** Steps after a trigger are at least this many characters apart (one per few words at most). */
const STEP_MIN_CHARS = 32
/** Raw released text kept for context is trimmed to CONTEXT_CHARS when it grows past this. */
const RECENT_CHARS = 8 * CONTEXT_CHARS

/** 1: a blank (space, tab, CR, LF): where a run of digits or a token ends. */
const IS_BLANK = new Uint8Array(128)
for (const c of ' \t\r\n') IS_BLANK[c.charCodeAt(0)] = 1

/**
 * Release rule (docs/pii.md "Streaming"): text without trigger characters goes out at once, up to the
 * last word that could still grow into a match; text with one waits for a detection step, which runs
 * when a blank follows the last trigger (so a step can usually decide it) and STEP_MIN_CHARS arrived
 * since the last step, or when more than STEP_CHARS are held. Without a prefilter (custom
 * recognizers) every push runs a step.
 */
class PiiStreamMasker implements StreamMasker {
  readonly maxHoldBackChars: number
  readonly #masker: Masker
  readonly #prefilter: Prefilter | undefined
  readonly #stepChars: number
  /** Undecided text: stream index #emitted to the end. */
  #held = ''
  /** Stream index up to which output has been returned. */
  #emitted = 0
  /** Raw text before #emitted (at least CONTEXT_CHARS when there is that much), for lookbehinds and context words. */
  #recent = ''
  /** Stream length so far. */
  #length = 0
  /** Stream index of the last trigger character (and per ASCII code), of the last blank, and the length at the last step. */
  #triggerAt = -Infinity
  readonly #triggerAtOf = new Float64Array(128).fill(-Infinity)
  #blankAt = -Infinity
  #steppedAt = 0
  #findings: Finding[] = []
  #isEnded = false
  readonly #scan: ScanState

  constructor (masker: Masker) {
    this.#masker = masker
    this.maxHoldBackChars = masker.detector.maxHoldBackChars
    this.#prefilter = masker.detector.prefilter
    this.#stepChars = Math.min(STEP_CHARS, this.maxHoldBackChars)
    this.#scan = masker.detector.newScanState()
  }

  push (chunk: string): string {
    if (this.#isEnded) throw new TypeError('StreamMasker.push() after end()')
    if (chunk === '') return ''
    this.#held += chunk
    const at = this.#length
    this.#length += chunk.length
    const pre = this.#prefilter
    if (pre === undefined) return this.#step(false)
    if (chunk.length > this.#stepChars) {
      // A big read (a network buffer, COPY data) needs a step anyway: skip the per-character pass
      // and treat whatever stays held as triggered, for every recognizer.
      this.#triggerAt = this.#length - 1
      for (const c of pre.codes) this.#triggerAtOf[c] = this.#length - 1
      return this.#step(false)
    }
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i)
      if (c >= 128) continue
      if (pre.isTrigger[c] === 1) {
        this.#triggerAt = at + i
        this.#triggerAtOf[c] = at + i
      } else if (IS_BLANK[c] === 1) this.#blankAt = at + i
    }
    if (this.#triggerAt >= this.#emitted - pre.trail) {
      // A trigger in the undecided text: only a step can decide it, and one is worth running once
      // a blank has ended the token the trigger is in.
      const isWorthIt = this.#blankAt > this.#triggerAt && this.#length - this.#steppedAt >= STEP_MIN_CHARS
      if (isWorthIt || this.#held.length > this.#stepChars) return this.#step(false)
      return ''
    }
    let release = this.#held.length
    const held = this.#held
    for (const { pendingFrom, lead } of pre.pending) release = Math.min(release, pendingFrom(held, Math.max(0, held.length - lead)))
    if (release === 0) return ''
    const out = held.slice(0, release)
    this.#release(out, held.slice(release))
    return out
  }

  end (): string {
    if (this.#isEnded) return ''
    this.#isEnded = true
    return this.#step(true)
  }

  findings (): Finding[] {
    return this.#findings.slice()
  }

  /** Runs the detector over the held text (after CONTEXT_CHARS of context) and returns what it decided, masked. */
  #step (isFinal: boolean): string {
    const context = this.#recent.length > CONTEXT_CHARS ? this.#recent.slice(-CONTEXT_CHARS) : this.#recent
    const text = context + this.#held
    const from = context.length
    const offset = this.#emitted - from
    const { findings, next } = this.#masker.detector.step(text, from, isFinal, this.#scan, offset, this.#triggered())
    const out = this.#masker.apply(text, findings, from, next)
    for (const f of findings) this.#findings.push({ ...f, start: f.start + offset, end: f.end + offset })
    this.#recent = context
    this.#release(text.slice(from, next), text.slice(next))
    this.#steppedAt = this.#length
    assert(isFinal ? this.#held === '' : this.#held.length <= this.maxHoldBackChars, 'stream masker held back more than its bound')
    return out
  }

  /** The recognizers with a trigger in the held text or just before it (all without a prefilter). */
  #triggered (): number {
    const pre = this.#prefilter
    if (pre === undefined) return -1
    let mask = 0
    const since = this.#emitted - pre.trail
    for (const c of pre.codes) if (this.#triggerAtOf[c] >= since) mask |= pre.recognizersOf[c]
    return mask
  }

  /** Moves `raw` (the start of the held text) to the released side; `rest` stays held. */
  #release (raw: string, rest: string): void {
    this.#emitted += raw.length
    this.#held = rest
    this.#recent += raw
    if (this.#recent.length > RECENT_CHARS) this.#recent = this.#recent.slice(-CONTEXT_CHARS)
  }
}

/** Wraps a masker for text that arrives in chunks (SSE deltas, COPY data, log tails). */
export function createStreamMasker (masker: Masker): StreamMasker {
  return new PiiStreamMasker(masker)
}
