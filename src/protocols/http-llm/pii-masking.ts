import { randomBytes } from 'node:crypto'
import type { MaskSpec, MaskStyle } from '../../core/events/index.js'
import { createMasker, createStreamMasker, type Masker } from '../../core/pii/index.js'
import type { StreamTextMasker, TextMasking } from './masking.js'
import type { MaskingFactory } from './request-handler.js'

/** Cached masker chains; specs come from compiled policy sets, so a reload simply misses the cache. */
const MAX_CACHED_CHAINS = 256

/**
 * Mask specs -> maskers from the PII engine. Specs of one style share one masker (their entities and
 * recognizers united); several styles are applied one after the other. Maskers are built once per set
 * of specs: decide() hands back the same MaskSpec objects until the policy set is reloaded.
 */
export function piiMasking (hashKey: Buffer = randomBytes(32)): MaskingFactory {
  const cache = new Map<string, { specs: MaskSpec[]; maskers: Masker[] }>()

  function maskersFor (specs: MaskSpec[]): Masker[] {
    const key = specs.map(s => s.rule).join('\0')
    const hit = cache.get(key)
    if (hit !== undefined && hit.specs.length === specs.length && hit.specs.every((s, i) => s === specs[i])) return hit.maskers
    const byStyle = new Map<MaskStyle, { entities: Set<string>; custom: NonNullable<MaskSpec['recognizers']> }>()
    for (const s of specs) {
      const group = byStyle.get(s.style) ?? { entities: new Set<string>(), custom: [] }
      for (const e of s.entities) group.entities.add(e)
      group.custom.push(...(s.recognizers ?? []))
      byStyle.set(s.style, group)
    }
    const maskers = [...byStyle].map(([style, g]) => createMasker({ style, entities: [...g.entities], custom: g.custom, hashKey }))
    if (cache.size >= MAX_CACHED_CHAINS) cache.clear()
    cache.set(key, { specs, maskers })
    return maskers
  }

  return (specs, direction) => {
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

  constructor (maskers: Masker[]) { this.#maskers = maskers }

  #count (findings: ReadonlyArray<{ type: string }>): void {
    for (const f of findings) this.#counts[f.type] = (this.#counts[f.type] ?? 0) + 1
  }

  readonly mask = (text: string): string => {
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
    const count = (f: ReadonlyArray<{ type: string }>) => this.#count(f)
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
          count(s.findings())
        }
        return out
      }
    }
  }

  counts (): Record<string, number> { return { ...this.#counts } }
}
