import assert from 'node:assert'
import { asciiSet, asciiTable } from './ascii-class.js'
import type { Recognizer, Trigger } from './types.js'

/**
 * What the recognizers' triggers let a stream conclude without scanning (docs/pii.md "Streaming").
 * When no trigger is in the undecided text (nor within its recognizer's `trail` before it), no
 * candidate can start there, except one whose trigger is still to come: a match in progress at the
 * end, which only recognizers with `lead` > 0 can have, and which begins at or after pendingFrom().
 * @internal
 */
export class Prefilter {
  /** 1 at the ASCII codes that are some recognizer's trigger character. */
  readonly isTrigger = new Uint8Array(128)
  /** Per ASCII code, the recognizers (indexes, also the bits of step()'s `triggered`) it may trigger. */
  readonly recognizersOf: ReadonlyArray<readonly number[]>
  /** Per recognizer. */
  readonly confirms: ReadonlyArray<Trigger['confirm']>
  readonly trails: Int32Array
  /** The distinct joiner sets of Trigger.digitRun, and per recognizer the index of its own (-1: none) and its `min`. */
  readonly runJoiners: readonly Uint8Array[]
  readonly runOf: Int32Array
  readonly runMin: Int32Array
  /** Per ASCII code, bit r: the code may be in a match of pending recognizer r before its trigger (and begin one). */
  readonly #inRun = new Int32Array(128)
  readonly #starts = new Int32Array(128)
  /** Index d, bit r: pending recognizer r's lead is at least d. */
  readonly #withinLead: Int32Array

  constructor (triggers: readonly Trigger[]) {
    const of: number[][] = Array.from({ length: 128 }, () => [])
    for (const [k, t] of triggers.entries()) {
      for (let i = 0; i < t.chars.length; i++) {
        const c = t.chars.charCodeAt(i)
        this.isTrigger[c] = 1
        of[c].push(k)
      }
    }
    this.recognizersOf = of
    this.confirms = triggers.map((t) => t.confirm)
    this.trails = Int32Array.from(triggers, (t) => t.trail)
    const joinerSets = [...new Set(triggers.flatMap((t) => (t.digitRun === undefined ? [] : [t.digitRun.joiners])))]
    this.runJoiners = joinerSets.map(asciiSet)
    this.runOf = Int32Array.from(triggers, (t) => (t.digitRun === undefined ? -1 : joinerSets.indexOf(t.digitRun.joiners)))
    this.runMin = Int32Array.from(triggers, (t) => t.digitRun?.min ?? 0)
    // Runs are counted at trigger characters: every digit must be one.
    if (joinerSets.length > 0 && !this.isTrigger.subarray(48, 58).every((t) => t === 1)) throw new TypeError('a digitRun trigger needs every digit in its chars')
    const pending = triggers.filter((t) => t.lead > 0)
    this.#withinLead = new Int32Array(Math.max(0, ...pending.map((t) => t.lead)) + 1)
    for (const [r, t] of pending.entries()) {
      const before = t.before
      assert(before !== undefined, 'a trigger with lead > 0 declares before')
      const inRun = asciiTable(before.chars)
      const starts = asciiTable(before.first ?? before.chars)
      for (let c = 0; c < 128; c++) {
        if (inRun[c] === 1) this.#inRun[c] |= 1 << r
        if (starts[c] === 1) this.#starts[c] |= 1 << r
      }
      for (let d = 1; d <= t.lead; d++) this.#withinLead[d] |= 1 << r
    }
  }

  /**
   * The lowest index >= floor at which a match whose trigger has not arrived could begin (text.length
   * when none can): one backward pass over the trailing characters for all recognizers with lead > 0.
   */
  pendingFrom (text: string, floor: number): number {
    let alive = -1
    let from = text.length
    const stop = Math.max(floor, text.length - this.#withinLead.length + 1)
    for (let i = text.length - 1; i >= stop; i--) {
      const c = text.charCodeAt(i)
      if (c >= 128) break
      alive &= this.#inRun[c] & this.#withinLead[text.length - i]
      if (alive === 0) break
      if ((this.#starts[c] & alive) !== 0) from = i
    }
    return from
  }
}

/** The prefilter of these recognizers; undefined when one has no trigger (a step runs on every push). @internal */
export function prefilterOf (recognizers: readonly Recognizer[]): Prefilter | undefined {
  if (recognizers.length > 31) return undefined
  const triggers: Trigger[] = []
  for (const r of recognizers) {
    if (r.trigger === undefined) return undefined
    triggers.push(r.trigger)
  }
  return new Prefilter(triggers)
}
