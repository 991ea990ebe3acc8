import { randomBytes } from 'node:crypto'
import { contentMaskers, createStreamMasker, perSpecList, type Masker } from '../../core/pii/index.js'
import type { StreamTextMasker, TextMasking } from './masking.js'
import type { MaskingFactory } from './request-handler.js'

/**
 * Mask specs -> maskers from the PII engine, one per style (core/pii contentMaskers), applied one after
 * the other; built once per list of specs.
 */
export function piiMasking (hashKey: Buffer = randomBytes(32)): MaskingFactory {
  const maskersFor = perSpecList((specs) => contentMaskers(specs, hashKey))

  return (specs, direction) => {
    if (specs.length === 0) return undefined
    // A spec that names only columns has nothing to find in LLM text.
    const applying = specs.filter(s => s.applyTo.includes(direction) && (s.entities.length > 0 || (s.recognizers?.length ?? 0) > 0))
    if (applying.length === 0) return undefined
    return new MaskerChain(maskersFor(applying))
  }
}

/** Masks with each masker in turn and counts what they replaced, by entity type. */
class MaskerChain implements TextMasking {
  readonly #maskers: Masker[]
  readonly #counts: Record<string, number> = {}

  /** Callers pass `mask` around unbound (maskJsonStrings(json, masking.mask)). */
  readonly mask: (text: string) => string

  // A bound method rather than an arrow field: under tsx every arrow field is named per instance with
  // Object.defineProperty, and a chain is built per request.
  constructor (maskers: Masker[]) {
    this.#maskers = maskers
    this.mask = this.#mask.bind(this)
  }

  #count (findings: ReadonlyArray<{ type: string }>): void {
    for (const f of findings) this.#counts[f.type] = (this.#counts[f.type] ?? 0) + 1
  }

  #mask (text: string): string {
    let out = text
    for (const m of this.#maskers) {
      const r = m.mask(out)
      this.#count(r.findings)
      out = r.masked
    }
    return out
  }

  stream (): StreamTextMasker {
    const stages = this.#maskers.map(m => createStreamMasker(m))
    const chain = this
    return {
      push (chunk: string): string {
        let out = chunk
        for (const s of stages) out = s.push(out)
        return out
      },
      end (): string {
        let out = ''
        for (const s of stages) {
          out = s.push(out) + s.end()
          chain.#count(s.findings())
        }
        return out
      }
    }
  }

  counts (): Record<string, number> { return { ...this.#counts } }
}
