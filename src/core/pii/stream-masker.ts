import assert from 'node:assert'
import type { ScanState } from './detector.js'
import type { Masker } from './masker.js'
import { TriggerScanner } from './trigger-scanner.js'
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

/** Held text after a trigger waits for a blank after it, or for this much more text (the latency bound). */
const STEP_CHARS = 256
/**
 * Steps after a trigger are at least this many characters apart (one per few words at most); twice
 * as many after each step that stayed stuck where the previous one did (an open PEM block, whose
 * lines each end in a blank), back to this when a trigger arrives or a step makes progress.
 */
const STEP_MIN_CHARS = 32
/**
 * Release rule (docs/pii.md "Streaming"): text without a trigger goes out at once, up to the last
 * word that could still grow into a match; text with one waits for a detection step, which runs
 * when a blank follows the last trigger (so a step can usually decide it) and STEP_MIN_CHARS arrived
 * since the last step, or when more than STEP_CHARS are held and arrived since the last step (a long
 * token: a step per push would find it still in progress) or the hold-back bound is passed. Without a prefilter (custom
 * recognizers) every push runs a step.
 */
class PiiStreamMasker implements StreamMasker {
  readonly maxHoldBackChars: number
  readonly #masker: Masker
  readonly #stepChars: number
  /**
   * CONTEXT_CHARS of released raw text (all of it at the start of the stream) for lookbehinds,
   * context words and trigger conditions, then the undecided text, from #heldAt on.
   */
  #buf = ''
  #heldAt = 0
  /** Stream index of #buf[#heldAt]: output has been returned up to it. */
  #emitted = 0
  /** Stream length so far. */
  #length = 0
  /** Undefined when the detector has no prefilter. */
  readonly #triggers: TriggerScanner | undefined
  /** Stream length at the last step, the gap required before the next one, and where the last step left the undecided text. */
  #steppedAt = 0
  #stepGap = STEP_MIN_CHARS
  #undecidedAt = -1
  #findings: Finding[] = []
  #isEnded = false
  readonly #scan: ScanState

  constructor (masker: Masker) {
    this.#masker = masker
    this.maxHoldBackChars = masker.detector.maxHoldBackChars
    this.#stepChars = Math.min(STEP_CHARS, this.maxHoldBackChars)
    this.#scan = masker.detector.newScanState()
    const pre = masker.detector.prefilter
    this.#triggers = pre === undefined ? undefined : new TriggerScanner(pre)
  }

  push (chunk: string): string {
    if (this.#isEnded) throw new TypeError('StreamMasker.push() after end()')
    if (chunk === '') return ''
    this.#buf += chunk
    const at = this.#length
    this.#length += chunk.length
    const triggers = this.#triggers
    if (triggers === undefined) return this.#step(false)
    if (chunk.length > this.#stepChars) {
      // A big read (a network buffer, COPY data) needs a step anyway: skip the per-character pass
      // and treat whatever stays held as triggered, for every recognizer.
      triggers.skipTo(this.#length - 1)
      return this.#step(false)
    }
    const buf = this.#buf
    triggers.read(chunk, buf, at)
    if (triggers.reach >= this.#emitted) {
      // A trigger in the undecided text: only a step can decide it, and one is worth running once
      // a blank has ended the token the trigger is in.
      if (triggers.lastAt >= this.#steppedAt) this.#stepGap = STEP_MIN_CHARS
      const isWorthIt = triggers.blankAt > triggers.lastAt && this.#length - this.#steppedAt >= this.#stepGap
      const held = buf.length - this.#heldAt
      const isDue = (held > this.#stepChars && this.#length - this.#steppedAt > this.#stepChars) || held > this.maxHoldBackChars
      if (isWorthIt || isDue) return this.#step(false)
      return ''
    }
    const release = triggers.pendingFrom(buf, this.#heldAt)
    if (release === this.#heldAt) return ''
    const out = buf.slice(this.#heldAt, release)
    this.#release(out.length, buf, release)
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

  /** Runs the detector over the held text (after its context) and returns what it decided, masked. */
  #step (isFinal: boolean): string {
    const text = this.#buf
    const from = this.#heldAt
    const offset = this.#emitted - from
    const { findings, next } = this.#masker.detector.step(text, from, isFinal, this.#scan, offset, this.#triggers?.triggered(this.#emitted) ?? -1)
    const out = this.#masker.apply(text, findings, from, next)
    for (const f of findings) this.#findings.push({ ...f, start: f.start + offset, end: f.end + offset })
    this.#release(next - from, text, next)
    this.#steppedAt = this.#length
    this.#stepGap = this.#emitted === this.#undecidedAt ? Math.min(2 * this.#stepGap, this.#stepChars) : STEP_MIN_CHARS
    this.#undecidedAt = this.#emitted
    const held = this.#buf.length - this.#heldAt
    assert(isFinal ? held === 0 : held <= this.maxHoldBackChars, 'stream masker held back more than its bound')
    return out
  }

  /** Releases `length` characters of held text, up to text[to]; the undecided text is text from `to` on. */
  #release (length: number, text: string, to: number): void {
    this.#emitted += length
    const keep = Math.max(0, to - CONTEXT_CHARS)
    this.#buf = text.slice(keep)
    this.#heldAt = to - keep
  }
}

/** Wraps a masker for text that arrives in chunks (SSE deltas, COPY data, log tails). */
export function createStreamMasker (masker: Masker): StreamMasker {
  return new PiiStreamMasker(masker)
}
