import type { CustomRecognizerSpec } from '../events/index.js'
import { RecognizerError } from '../errors.js'
import { builtinRecognizers } from './builtin-recognizers.js'
import { compileRecognizer } from './custom-recognizer.js'
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
  }

  detect (text: string): Finding[] {
    return this.step(text, 0, true).findings
  }

  /**
   * One resolution step over `text` from `from`. Not final: only what no appended text can change
   * is decided, and `next` says where the undecided rest begins.
   */
  step (text: string, from: number, isFinal: boolean): Selection {
    const candidates: Candidate[] = []
    const keep = (c: Candidate): void => { if (c.score >= MIN_SCORE && c.start >= from) candidates.push(c) }
    for (const r of this.#recognizers) r.scan(text, from, keep)
    let known = text.length
    if (!isFinal) {
      const floor = Math.max(0, from - CONTEXT_CHARS)
      for (const r of this.#recognizers) known = Math.min(known, r.pendingFrom(text, floor))
    }
    return selectFindings(candidates, from, known)
  }
}

/** Builds a detector over the built-in recognizers (optionally fewer) plus policy-declared ones. */
export function createDetector (opts?: DetectorOptions): Detector {
  return new PiiDetector(opts)
}
