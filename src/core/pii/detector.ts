import type { CustomRecognizerSpec } from '../events/index.js'
import { RecognizerError } from '../errors.js'
import { builtinRecognizers } from './builtin-recognizers.js'
import { compileRecognizer } from './custom-recognizer.js'
import { prefilterOf, type Prefilter } from './prefilter.js'
import { selectFindings, type Selection } from './select-findings.js'
import { BUILTIN_ENTITIES, CONTEXT_CHARS, MIN_SCORE, type Candidate, type Finding, type Recognizer } from './types.js'

export interface DetectorOptions {
  /** Built-in types to look for; all of BUILTIN_ENTITIES when absent. Custom recognizers always run. */
  entities?: readonly string[]
  /** Recognizers declared in policies. */
  custom?: readonly CustomRecognizerSpec[]
  /**
   * Longest JWT or PEM private-key block recognized (default 8192). The stream masker holds back
   * at most about twice this much, and only while such a secret may be in progress.
   */
  maxMatchChars?: number
}

export const DEFAULT_MAX_MATCH_CHARS = 8192
const MIN_MAX_MATCH_CHARS = 256

/** Finds PII in text. Stateless and safe to share. */
export interface Detector {
  /** The types this detector reports. */
  readonly entities: readonly string[]
  /** The most text a StreamMasker built on this detector ever holds back. */
  readonly maxHoldBackChars: number
  /** Every finding in `text`, in order, overlaps resolved. */
  detect (text: string): Finding[]
}

/**
 * The detector with its resolution step exposed to the stream masker (same room). One step looks
 * at `text` from index `from` (text before `from` is context only) and decides what it can.
 * @internal
 */
export class PiiDetector implements Detector {
  readonly entities: readonly string[]
  readonly maxHoldBackChars: number
  readonly #recognizers: readonly Recognizer[]

  constructor (opts: DetectorOptions = {}) {
    const maxMatchChars = opts.maxMatchChars ?? DEFAULT_MAX_MATCH_CHARS
    if (!Number.isInteger(maxMatchChars) || maxMatchChars < MIN_MAX_MATCH_CHARS) {
      throw new RecognizerError(`maxMatchChars must be an integer >= ${MIN_MAX_MATCH_CHARS}`)
    }
    const wanted = opts.entities ?? BUILTIN_ENTITIES
    const known = new Set<string>(BUILTIN_ENTITIES)
    const custom = (opts.custom ?? []).map(compileRecognizer)
    for (const r of custom) known.add(r.entity)
    for (const e of wanted) {
      if (!known.has(e)) throw new RecognizerError(`unknown entity '${e}' (known: ${[...known].join(', ')})`)
    }
    const builtins = builtinRecognizers(maxMatchChars).filter((r) => wanted.includes(r.entity))
    this.#recognizers = [...builtins, ...custom]
    this.entities = [...new Set(this.#recognizers.map((r) => r.entity))]
    const longest = Math.max(0, ...this.#recognizers.map((r) => r.maxLength))
    this.maxHoldBackChars = 2 * longest
    this.prefilter = prefilterOf(this.#recognizers)
  }

  /** How a stream releases text without a step; undefined when a recognizer has no trigger. @internal */
  readonly prefilter: Prefilter | undefined

  detect (text: string): Finding[] {
    return this.step(text, 0, true).findings
  }

  /** A fresh ScanState for one stream over this detector. @internal */
  newScanState (): ScanState {
    return { scannedTo: this.#recognizers.map(() => 0), cached: this.#recognizers.map(() => []) }
  }

  /**
   * One resolution step over `text` from `from`. Not final: only what no appended text can change
   * is decided, and `next` says where the undecided rest begins. A stream passes its ScanState and
   * the stream index of text[0] (`offset`) so text scanned by earlier steps is not scanned again.
   * `triggered` (bit i: recognizer i, see Prefilter): the recognizers whose trigger may be in the
   * undecided text; the others cannot have a candidate there but one still in progress, so they
   * are not run.
   */
  step (text: string, from: number, isFinal: boolean, state?: ScanState, offset = 0, triggered = ALL): Selection {
    const candidates: Candidate[] = []
    const floor = Math.max(0, from - CONTEXT_CHARS)
    const n = this.#recognizers.length
    const pending: number[] = new Array(n)
    let known = text.length
    if (!isFinal) {
      // A recognizer without a trigger in the undecided text can only have a match there whose
      // trigger is still to come: one pass finds where such matches may begin, for all of them.
      const untriggered = triggered === ALL || this.prefilter === undefined ? text.length : this.prefilter.pendingFrom(text, from)
      for (let i = 0; i < n; i++) {
        const r = this.#recognizers[i]
        // A match starting more than `lookback` before `from` has its span before `from`: decided.
        const p = (triggered & (1 << i)) !== 0
          ? r.pendingFrom(text, Math.max(floor, from - (r.lookback ?? 0)))
          : (r.trigger?.lead ?? 1) > 0 ? untriggered : text.length
        pending[i] = p
        if (p < known) known = p
      }
    }
    // Nothing before `from` is undecided, so nothing can be decided now: scan later, when it can.
    if (known <= from) return { findings: [], next: from }
    for (let i = 0; i < n; i++) {
      const r = this.#recognizers[i]
      if ((triggered & (1 << i)) === 0) {
        if (state !== undefined && !isFinal) {
          state.scannedTo[i] = Math.max(state.scannedTo[i], pending[i] + offset)
          state.cached[i] = NONE
        }
        continue
      }
      const first = candidates.length
      let start = from
      if (state !== undefined) {
        start = Math.max(from, state.scannedTo[i] - offset)
        for (const c of state.cached[i]) if (c.start - offset >= from) candidates.push({ ...c, start: c.start - offset, end: c.end - offset })
      }
      const found = candidates.length
      r.scan(text, start, (c) => { if (c.score >= MIN_SCORE && c.start >= start) candidates.push(c) })
      if (isFinal) continue
      const p = pending[i]
      if (state !== undefined) {
        // Candidates starting before p can no longer change: keep them, and scan only from p next time.
        state.scannedTo[i] = Math.max(state.scannedTo[i], p + offset)
        const scannedTo = state.scannedTo[i] - offset
        if (candidates.length === first) state.cached[i] = NONE
        else if (candidates.length > found || state.cached[i].length !== found - first) {
          state.cached[i] = candidates.slice(first).filter((c) => c.start < scannedTo).map((c) => ({ ...c, start: c.start + offset, end: c.end + offset }))
        }
      }
    }
    return selectFindings(candidates, from, known)
  }
}

const NONE: readonly Candidate[] = Object.freeze([])
const ALL = -1

/** What a stream's earlier steps found, per recognizer, in stream indexes. @internal */
export interface ScanState {
  /** Every candidate starting before this index is known (and in `cached` unless already decided). */
  scannedTo: number[]
  cached: Array<readonly Candidate[]>
}

/** Builds a detector over the built-in recognizers (optionally fewer) plus policy-declared ones. */
export function createDetector (opts?: DetectorOptions): Detector {
  return new PiiDetector(opts)
}
