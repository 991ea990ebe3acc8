import { isDigitCode } from './ascii-class.js'
import type { Prefilter } from './prefilter.js'

/** 1: a blank (space, tab, CR, LF): where a run of digits or a token ends. */
const IS_BLANK = new Uint8Array(128)
for (const c of ' \t\r\n') IS_BLANK[c.charCodeAt(0)] = 1

/**
 * Finds the triggers (Recognizer.trigger) and blanks of one stream as its characters arrive, and
 * where a match whose trigger has not arrived may begin.
 * @internal
 */
export class TriggerScanner {
  #lastAt = -Infinity
  #reach = -Infinity
  #blankAt = -Infinity
  readonly #pre: Prefilter
  /** Per recognizer, the stream index of its last trigger. */
  readonly #at: Float64Array
  /** Stream index of the last digit, and per joiner set (Prefilter.runJoiners) the length of the digit run it ends. */
  #digitAt = -Infinity
  readonly #runs: Float64Array

  constructor (pre: Prefilter) {
    this.#pre = pre
    this.#at = new Float64Array(pre.trails.length).fill(-Infinity)
    this.#runs = new Float64Array(pre.runJoiners.length)
  }

  /** Stream index of the last trigger of any recognizer. */
  get lastAt (): number { return this.#lastAt }
  /** The furthest stream index a trigger plus its trail reaches: candidates may start up to it. */
  get reach (): number { return this.#reach }
  /** Stream index of the last blank. */
  get blankAt (): number { return this.#blankAt }

  /**
   * Reads `chunk`, the end of `text`, which holds TRIGGER_LOOKBACK_CHARS before it (or begins where
   * the stream does); `at`: the stream index of chunk[0].
   */
  read (chunk: string, text: string, at: number): void {
    const pre = this.#pre
    const base = text.length - chunk.length
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i)
      if (c >= 128) continue
      if (pre.isTrigger[c] === 1) this.#check(c, text, base + i, at + i)
      else if (IS_BLANK[c] === 1) this.#blankAt = at + i
    }
  }

  /**
   * Text up to stream index `at` was not read character by character (a big chunk): every
   * recognizer counts as triggered there, and a digit run as arbitrarily long (more triggers than
   * real ones is safe; fewer would not be).
   */
  skipTo (at: number): void {
    for (let k = 0; k < this.#at.length; k++) this.#trigger(k, at)
    this.#digitAt = at
    this.#runs.fill(Infinity)
  }

  /** See Prefilter.pendingFrom. */
  pendingFrom (text: string, floor: number): number {
    return this.#pre.pendingFrom(text, floor)
  }

  /** Bit k: recognizer k has a trigger at or after `from` minus its trail (its candidates may start from `from` on). */
  triggered (from: number): number {
    let mask = 0
    for (let k = 0; k < this.#at.length; k++) if (this.#at[k] + this.#pre.trails[k] >= from) mask |= 1 << k
    return mask
  }

  /** text[j], stream index x, is a trigger character of some recognizer (c): record the ones it triggers. */
  #check (c: number, text: string, j: number, x: number): void {
    const pre = this.#pre
    const runs = this.#runs
    const isDigit = isDigitCode(c)
    if (isDigit && runs.length > 0) this.#countDigit(text, j, x)
    for (const k of pre.recognizersOf[c]) {
      const run = pre.runOf[k]
      if (isDigit && run >= 0) {
        if (runs[run] < pre.runMin[k]) continue
      } else {
        const confirm = pre.confirms[k]
        if (confirm !== undefined && !confirm(text, j)) continue
      }
      this.#trigger(k, x)
    }
  }

  /** Extends or restarts the digit runs with the digit text[j] (stream index x). */
  #countDigit (text: string, j: number, x: number): void {
    const gap = x - this.#digitAt
    this.#digitAt = x
    const runs = this.#runs
    if (gap === 1) {
      for (let r = 0; r < runs.length; r++) runs[r]++
    } else if (gap === 2) {
      const p = text.charCodeAt(j - 1)
      for (let r = 0; r < runs.length; r++) runs[r] = p < 128 && this.#pre.runJoiners[r][p] === 1 ? runs[r] + 1 : 1
    } else {
      for (let r = 0; r < runs.length; r++) runs[r] = 1
    }
  }

  #trigger (k: number, x: number): void {
    this.#at[k] = x
    this.#lastAt = x
    this.#reach = Math.max(this.#reach, x + this.#pre.trails[k])
  }
}
