/** Shortest and longest text a pattern can match, in UTF-16 units; max is Infinity when unbounded. */
export interface LengthBounds { min: number; max: number }

/**
 * Length bounds of an RE2 pattern that RE2 has already accepted (so the syntax is known good). Any
 * character class may match a character outside the BMP, so it counts as 1..2 units.
 * @see https://github.com/google/re2/wiki/Syntax
 */
export function patternLengthBounds (pattern: string): LengthBounds {
  let i = 0
  const peek = (): string => pattern[i] ?? ''

  const alternation = (): LengthBounds => {
    let out = concatenation()
    while (peek() === '|') {
      i++
      const next = concatenation()
      out = { min: Math.min(out.min, next.min), max: Math.max(out.max, next.max) }
    }
    return out
  }

  const concatenation = (): LengthBounds => {
    const out = { min: 0, max: 0 }
    while (i < pattern.length && peek() !== '|' && peek() !== ')') {
      const a = repeated(atom())
      out.min += a.min
      out.max += a.max
    }
    return out
  }

  const repeated = (a: LengthBounds): LengthBounds => {
    let out = a
    for (;;) {
      const c = peek()
      let lo: number
      let hi: number
      if (c === '*') { lo = 0; hi = Infinity; i++ } else if (c === '+') { lo = 1; hi = Infinity; i++ } else if (c === '?') { lo = 0; hi = 1; i++ } else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i))
        if (m === null) return out // a literal '{', read as an atom next
        lo = Number(m[1])
        hi = m[2] === undefined ? lo : m[3] === '' ? Infinity : Number(m[3])
        i += m[0].length
      } else {
        return out
      }
      if (peek() === '?') i++ // non-greedy: same lengths
      out = { min: out.min * lo, max: out.max === 0 ? 0 : out.max * hi }
    }
  }

  const skipClass = (): void => {
    // i is just past '['
    if (peek() === '^') i++
    if (peek() === ']') i++
    while (i < pattern.length && peek() !== ']') {
      if (pattern.startsWith('[:', i)) { i = pattern.indexOf(':]', i + 2) + 2; continue }
      if (peek() === '\\') { escape(); continue }
      i++
    }
    i++
  }

  const escape = (): LengthBounds => {
    // i is at '\'
    const c = pattern[i + 1] ?? ''
    i += 2
    if ('bBAz'.includes(c)) return { min: 0, max: 0 }
    if (c === 'Q') {
      const end = pattern.indexOf('\\E', i)
      const lit = pattern.slice(i, end === -1 ? pattern.length : end)
      i = end === -1 ? pattern.length : end + 2
      return { min: lit.length, max: lit.length }
    }
    if ((c === 'p' || c === 'P' || c === 'x') && peek() === '{') i = pattern.indexOf('}', i) + 1
    else if (c === 'p' || c === 'P') i++
    else if (c === 'x') i += 2
    else if (c >= '0' && c <= '7') while (i < pattern.length && peek() >= '0' && peek() <= '7') i++
    return { min: 1, max: 2 }
  }

  const atom = (): LengthBounds => {
    const c = peek()
    if (c === '(') {
      i++
      if (peek() === '?') {
        const flags = /^\?(?:P?<[^>]+>|[a-zA-Z-]*:|([a-zA-Z-]*)\))/.exec(pattern.slice(i))
        if (flags !== null) {
          i += flags[0].length
          if (flags[1] !== undefined) return { min: 0, max: 0 } // (?i) sets flags, matches nothing
        }
      }
      const inner = alternation()
      i++ // ')'
      return inner
    }
    if (c === '[') { i++; skipClass(); return { min: 1, max: 2 } }
    if (c === '\\') return escape()
    if (c === '^' || c === '$') { i++; return { min: 0, max: 0 } }
    if (c === '.') { i++; return { min: 1, max: 2 } }
    const cp = pattern.codePointAt(i) ?? 0
    const units = cp > 0xffff ? 2 : 1
    i += units
    return { min: units, max: units }
  }

  return alternation()
}
