import type { MaskStyle } from '../events/index.js'
import { PiiDetector, type DetectorOptions } from './detector.js'
import { createReplacer, REDACTED, type Replacer } from './mask-style.js'
import type { Finding } from './types.js'

export interface MaskerOptions extends DetectorOptions {
  style: MaskStyle
  /** Secret for the hash style (>= 16 bytes); the same key gives the same tokens across restarts. */
  hashKey?: Buffer
}

export interface MaskResult { masked: string; findings: Finding[] }

/** Masks PII in text and whole values. Stateless and safe to share. */
export interface Masker {
  readonly style: MaskStyle
  readonly detector: PiiDetector
  /** The text with every finding replaced by the style (the null style writes labels in text). */
  mask (text: string): MaskResult
  /**
   * One whole value replaced by the style, for a column a mask rule names: null means emit SQL NULL
   * (style null). `type` names the label/hash prefix; when absent it is the type of the longest
   * finding in the value, else REDACTED.
   */
  maskValue (value: string, type?: string): string | null
  /** text[from, to) with the given findings (sorted, non-overlapping, inside the range) replaced. @internal */
  apply (text: string, findings: readonly Finding[], from: number, to: number): string
}

class PiiMasker implements Masker {
  readonly style: MaskStyle
  readonly detector: PiiDetector
  readonly #replace: Replacer
  readonly #inText: Replacer

  constructor (opts: MaskerOptions) {
    this.style = opts.style
    this.detector = new PiiDetector(opts)
    this.#replace = createReplacer(opts.style, opts.hashKey)
    // There is no NULL inside a text: a label says what was there.
    this.#inText = opts.style === 'null' ? createReplacer('label', undefined) : this.#replace
  }

  mask (text: string): MaskResult {
    const findings = this.detector.detect(text)
    return { masked: this.apply(text, findings, 0, text.length), findings }
  }

  maskValue (value: string, type?: string): string | null {
    let name = type
    if (name === undefined) {
      let longest: Finding | undefined
      for (const f of this.detector.detect(value)) if (longest === undefined || f.end - f.start > longest.end - longest.start) longest = f
      name = longest?.type ?? REDACTED
    }
    return this.#replace(name, value)
  }

  apply (text: string, findings: readonly Finding[], from: number, to: number): string {
    let out = ''
    let at = from
    for (const f of findings) {
      out += text.slice(at, f.start) + (this.#inText(f.type, text.slice(f.start, f.end)) as string)
      at = f.end
    }
    return out + text.slice(at, to)
  }
}

/** Builds a masker: a detector (see DetectorOptions) and a mask style. */
export function createMasker (opts: MaskerOptions): Masker {
  return new PiiMasker(opts)
}
