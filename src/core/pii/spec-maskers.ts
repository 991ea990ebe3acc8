import type { MaskSpec } from '../events/index.js'
import { createMasker, type Masker } from './masker.js'

/**
 * The content maskers of a set of mask rules: one per style, with the entities and recognizers of that
 * style's rules united (one detection pass per style, not per rule). Rules that name no entity or
 * recognizer (columns only) have nothing to find in text and make none.
 */
export function contentMaskers (specs: readonly MaskSpec[], hashKey: Buffer): Masker[] {
  const byStyle = new Map<MaskSpec['style'], { entities: Set<string>; custom: NonNullable<MaskSpec['recognizers']> }>()
  for (const s of specs) {
    if (s.entities.length === 0 && (s.recognizers?.length ?? 0) === 0) continue
    const g = byStyle.get(s.style) ?? { entities: new Set<string>(), custom: [] }
    for (const e of s.entities) g.entities.add(e)
    g.custom.push(...(s.recognizers ?? []))
    byStyle.set(s.style, g)
  }
  return [...byStyle].map(([style, g]) => createMasker({ style, entities: [...g.entities], custom: g.custom, hashKey }))
}

/** Entries kept; a policy reload simply misses the cache. */
const MAX_CACHED = 256

/**
 * `build` memoized per list of mask specs. decide() hands back the same MaskSpec objects until the policy
 * set is reloaded, so a list is known by its rule ids and confirmed by object identity.
 */
export function perSpecList<T> (build: (specs: readonly MaskSpec[]) => T): (specs: readonly MaskSpec[]) => T {
  const cache = new Map<string, { specs: readonly MaskSpec[]; value: T }>()
  return (specs) => {
    const key = specs.map((s) => s.rule).join('\0')
    const hit = cache.get(key)
    if (hit !== undefined && hit.specs.length === specs.length && hit.specs.every((s, i) => s === specs[i])) return hit.value
    if (cache.size >= MAX_CACHED) cache.clear()
    const value = build(specs)
    cache.set(key, { specs, value })
    return value
  }
}
