import { TRIGGER_LOOKBACK_CHARS as BACK, type Trigger } from './types.js'

/** Building blocks for Trigger.confirm; each reads at most TRIGGER_LOOKBACK_CHARS back. */
export type Confirm = NonNullable<Trigger['confirm']>

/** text[i] comes right after one of `literals` (case-sensitive). */
export function precededBy (...literals: string[]): Confirm {
  if (literals.some((l) => l.length > BACK)) throw new RangeError('literal longer than TRIGGER_LOOKBACK_CHARS')
  return (text, i) => {
    for (const l of literals) {
      const s = i - l.length
      if (s < 0) continue
      let j = 0
      while (j < l.length && text.charCodeAt(s + j) === l.charCodeAt(j)) j++
      if (j === l.length) return true
    }
    return false
  }
}
