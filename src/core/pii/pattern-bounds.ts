/** Shortest and longest text a pattern can match, in UTF-16 units; max is Infinity when unbounded. */
export interface LengthBounds { min: number; max: number }

/**
 * A piece of a pattern: its length bounds, and the ASCII codes a non-empty match of it can begin
 * with (null: some other character may begin one, or the analysis is not sure).
 */
interface Piece extends LengthBounds { first: Set<number> | null }

/** What a policy-declared pattern's recognizer needs to know about it (see patternShapeOf). */
export interface PatternShape {
  /** Shortest and longest match; max is Infinity when unbounded. */
  bounds: LengthBounds
  /**
   * The ASCII characters every match begins with, or undefined when a match may begin with any other
   * character or the pattern is too involved to tell. It lets a stream skip detection steps over text
   * without them, so a superset is always safe and undefined is the answer whenever in doubt.
   */
  firstChars: string | undefined
}

/**
 * The shape of an RE2 pattern that RE2 has already accepted (so the syntax is known good), in one pass.
 * Any character class may match a character outside the BMP, so it counts as 1..2 units.
 * @see https://github.com/google/re2/wiki/Syntax
 */
export function patternShapeOf (pattern: string): PatternShape {
  const { min, max, first } = shapeOf(pattern)
  const firstChars = first === null || first.size === 0 ? undefined : String.fromCharCode(...[...first].sort((a, b) => a - b))
  return { bounds: { min, max }, firstChars }
}

const DIGITS = codes('0123456789')
const WORD = codes('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz')
// RE2's \s: \t \n \f \r and space (Perl classes are ASCII-only in RE2).
const SPACE = codes('\t\n\f\r ')
const CONTROL_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 }
// Under (?i) RE2 folds k with U+212A (Kelvin sign) and s with U+017F (long s): a trigger table of
// ASCII codes would miss those.
const FOLDS_OUTSIDE_ASCII = codes('KSks')

function codes (chars: string): Set<number> {
  return new Set([...chars].map((c) => c.charCodeAt(0)))
}

function union (a: Set<number> | null, b: Set<number> | null): Set<number> | null {
  return a === null || b === null ? null : new Set([...a, ...b])
}

const EMPTY = (): Piece => ({ min: 0, max: 0, first: new Set() })
const ONE_OF = (first: Set<number> | null): Piece => ({ min: 1, max: 2, first })

function shapeOf (pattern: string): Piece {
  let i = 0
  /** Any (?i) anywhere: folded over the whole first set at the end (a superset, so safe). */
  let isCaseless = false
  const peek = (): string => pattern[i] ?? ''

  const alternation = (): Piece => {
    const out = concatenation()
    while (peek() === '|') {
      i++
      const next = concatenation()
      out.min = Math.min(out.min, next.min)
      out.max = Math.max(out.max, next.max)
      out.first = union(out.first, next.first)
    }
    return out
  }

  const concatenation = (): Piece => {
    const out = EMPTY()
    while (i < pattern.length && peek() !== '|' && peek() !== ')') {
      const a = repeated(atom())
      // A match begins in the first atom that cannot match empty, or in an optional one before it.
      if (out.min === 0) out.first = union(out.first, a.first)
      out.min += a.min
      out.max += a.max
    }
    return out
  }

  const repeated = (a: Piece): Piece => {
    const out = a
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
      out.min *= lo
      out.max = out.max === 0 ? 0 : out.max * hi
    }
  }

  /** The set of a bracket class; i is just past '[' and ends past ']'. */
  const bracketClass = (): Set<number> | null => {
    let first: Set<number> | null = new Set()
    const isNegated = peek() === '^'
    if (isNegated) i++
    // A ']' right after '[' or '[^' is a literal.
    let prev = -1
    if (peek() === ']') { first.add(93); prev = 93; i++ }
    while (i < pattern.length && peek() !== ']') {
      if (pattern.startsWith('[:', i)) { i = pattern.indexOf(':]', i + 2) + 2; first = null; continue }
      if (peek() === '-' && prev !== -1 && pattern[i + 1] !== ']') {
        i++
        const hi = peek() === '\\' ? escapedCode() : pattern.charCodeAt(i++)
        if (hi === null || hi > 127 || first === null) { first = null; continue }
        for (let c = prev; c <= hi; c++) first.add(c)
        prev = -1
        continue
      }
      if (peek() === '\\') {
        const c = pattern[i + 1] ?? ''
        const cls = c === 'd' ? DIGITS : c === 'w' ? WORD : c === 's' ? SPACE : undefined
        if (cls !== undefined) { i += 2; first = union(first, cls); prev = -1; continue }
        const code = escapedCode()
        if (code === null || code > 127) { first = null; prev = -1; continue }
        first?.add(code)
        prev = code
        continue
      }
      const code = pattern.codePointAt(i) ?? 0
      i += code > 0xffff ? 2 : 1
      if (code > 127) first = null
      else first?.add(code)
      prev = code > 127 ? -1 : code
    }
    i++
    return isNegated ? null : first
  }

  /** The character of a one-character escape (\. \- \n ...), past it; null for anything else (\x41, \p{L}, \101). */
  const escapedCode = (): number | null => {
    const c = pattern[i + 1] ?? ''
    if (c in CONTROL_ESCAPES) { i += 2; return CONTROL_ESCAPES[c] }
    if (/^[!-/:-@[-`{-~]$/.test(c)) { i += 2; return c.charCodeAt(0) }
    skipEscape()
    return null
  }

  /** Moves past an escape that is not a one-character literal. */
  const skipEscape = (): void => {
    const c = pattern[i + 1] ?? ''
    i += 2
    if ((c === 'p' || c === 'P' || c === 'x') && peek() === '{') i = pattern.indexOf('}', i) + 1
    else if (c === 'p' || c === 'P') i++
    else if (c === 'x') i += 2
    else if (c >= '0' && c <= '7') while (i < pattern.length && peek() >= '0' && peek() <= '7') i++
  }

  const escape = (): Piece => {
    // i is at '\'
    const c = pattern[i + 1] ?? ''
    if ('bBAz'.includes(c)) { i += 2; return EMPTY() }
    if (c === 'Q') {
      i += 2
      const end = pattern.indexOf('\\E', i)
      const lit = pattern.slice(i, end === -1 ? pattern.length : end)
      i = end === -1 ? pattern.length : end + 2
      if (lit === '') return EMPTY()
      const code = lit.charCodeAt(0)
      return { min: lit.length, max: lit.length, first: code > 127 ? null : new Set([code]) }
    }
    const cls = c === 'd' ? DIGITS : c === 'w' ? WORD : c === 's' ? SPACE : undefined
    if (cls !== undefined) { i += 2; return ONE_OF(new Set(cls)) }
    const code = escapedCode()
    return ONE_OF(code === null ? null : new Set([code]))
  }

  const atom = (): Piece => {
    const c = peek()
    if (c === '(') {
      i++
      if (peek() === '?') {
        const flags = /^\?(?:P?<[^>]+>|([a-zA-Z-]*):|([a-zA-Z-]*)\))/.exec(pattern.slice(i))
        if (flags !== null) {
          i += flags[0].length
          const set = flags[1] ?? flags[2] ?? ''
          if (/i/.test(set.split('-')[0])) isCaseless = true
          if (flags[2] !== undefined) return EMPTY() // (?i) sets flags, matches nothing
        }
      }
      const inner = alternation()
      i++ // ')'
      return inner
    }
    if (c === '[') { i++; return ONE_OF(bracketClass()) }
    if (c === '\\') return escape()
    if (c === '^' || c === '$') { i++; return EMPTY() }
    if (c === '.') { i++; return ONE_OF(null) }
    const cp = pattern.codePointAt(i) ?? 0
    const units = cp > 0xffff ? 2 : 1
    i += units
    return { min: units, max: units, first: cp > 127 ? null : new Set([cp]) }
  }

  const out = alternation()
  if (isCaseless && out.first !== null) {
    for (const c of out.first) {
      if (FOLDS_OUTSIDE_ASCII.has(c)) return { ...out, first: null }
      const ch = String.fromCharCode(c)
      out.first.add(ch.toLowerCase().charCodeAt(0))
      out.first.add(ch.toUpperCase().charCodeAt(0))
    }
  }
  return out
}
