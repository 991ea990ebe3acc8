import { asciiTable } from './ascii-class.js'
import type { Candidate, Recognizer, Trigger } from './types.js'

/** A span inside a regex match, with its base score before context words. */
export interface Span { start: number; end: number; score: number }

/**
 * How a recognizer tells whether a match may still be in progress at the end of a stream window.
 * - chars: every character of a match (prefix included) is in this ASCII class, and its first one in
 *   `first` (default: the same class); a match in progress is then a suffix of the trailing run of
 *   such characters that begins with a `first` character.
 * - anchor: every match begins with one of these literals (case-insensitive); a match in progress
 *   begins at an occurrence not yet followed by a complete match, or at a partial literal at the end.
 */
export type PendingRule = { chars: RegExp; first?: RegExp } | { anchors: readonly string[] }

export interface RegexRecognizerSpec {
  entity: string
  priority: number
  maxLength: number
  /**
   * A global regex. Each must be linear: bounded repetitions only, and no quantified group whose
   * pieces can match the same text in more than one way (see docs/pii.md "Regex safety").
   */
  re: RegExp
  /**
   * Turns a match into a span (or rejects it): checksums and structure checks live here. Several
   * spans (the valid prefixes of a run) let overlap resolution keep a shorter one that ends before
   * a more specific neighbour.
   */
  check: (m: RegExpExecArray, text: string) => Span | Span[] | null
  pending: PendingRule
  /** Words in the CONTEXT_WINDOW_CHARS before a match that raise its score. */
  context?: RegExp
  contextBoost?: number
  /** Words before a match that lower its score (e.g. "version" before a dotted quad). */
  againstContext?: RegExp
  /** Every match contains one of these strings (or, for `digit`, a digit): a text without any is skipped. */
  needs?: readonly string[] | 'digit'
  /** Largest distance from a match's start to its reported span's start (a key or URL prefix). */
  lookback?: number
  /**
   * A cheaper way to find where matches may begin: calls `visit` (in increasing order, repeats
   * allowed) with a superset of the indexes >= from at which `re` can match; `re` then runs
   * anchored at each. For regexes V8 cannot search quickly.
   */
  starts?: (text: string, from: number, visit: (q: number) => void) => void
  /**
   * Where every span has a trigger (see Trigger); trail defaults to 0, and `before` to the pending
   * rule's characters (required when lead > 0 and the pending rule is anchors).
   */
  trigger: Omit<Trigger, 'trail'> & { trail?: number }
}

export const DIGITS = '0123456789'

/** How far before a match context words are looked for. */
export const CONTEXT_WINDOW_CHARS = 48

function hasAny (text: string, from: number, needs: readonly string[] | 'digit'): boolean {
  if (needs === 'digit') {
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c >= 48 && c <= 57) return true
    }
    return false
  }
  return needs.some((s) => text.indexOf(s, from) !== -1)
}

/** Builds a Recognizer from a regex, a check and a pending rule. */
export function regexRecognizer (spec: RegexRecognizerSpec): Recognizer {
  const { entity, priority, maxLength, re, check, context, againstContext, needs } = spec
  if (!re.global) throw new TypeError(`${entity} recognizer regex must be global`)
  const lookback = spec.lookback ?? 0
  const boost = spec.contextBoost ?? 0.2
  const sticky = new RegExp(re.source, re.flags.replace('g', '') + 'y')

  const scoreAt = (text: string, span: Span): number => {
    if (context === undefined && againstContext === undefined) return span.score
    const before = text.slice(Math.max(0, span.start - CONTEXT_WINDOW_CHARS), span.start)
    let score = span.score
    if (context?.test(before) === true) score += boost
    if (againstContext?.test(before) === true) score -= 0.3
    return Math.min(1, Math.max(0, score))
  }

  const found = (m: RegExpExecArray, text: string, from: number, emit: (c: Candidate) => void): void => {
    const checked = check(m, text)
    if (checked === null) return
    for (const span of Array.isArray(checked) ? checked : [checked]) {
      if (span.start >= from) emit({ type: entity, start: span.start, end: span.end, score: scoreAt(text, span), priority })
    }
  }

  const scan = (text: string, from: number, emit: (c: Candidate) => void): void => {
    const start = Math.max(0, from - lookback)
    if (needs !== undefined && !hasAny(text, start, needs)) return
    if (spec.starts !== undefined) {
      let last = -1
      spec.starts(text, start, (q) => {
        if (q <= last) return
        last = q
        sticky.lastIndex = q
        const m = sticky.exec(text)
        if (m !== null) found(m, text, from, emit)
      })
      return
    }
    re.lastIndex = start
    let m: RegExpExecArray | null
    while ((m = re.exec(text)) !== null) {
      found(m, text, from, emit)
      // Every start index is tried on its own (not from the previous match's end), so what is
      // found at an index never depends on what was found before it.
      re.lastIndex = m.index + 1
    }
  }

  let pendingFrom: Recognizer['pendingFrom']
  if ('chars' in spec.pending) {
    const table = asciiTable(spec.pending.chars)
    const first = asciiTable(spec.pending.first ?? spec.pending.chars)
    pendingFrom = (text, floor) => {
      const stop = Math.max(floor, text.length - maxLength)
      let i = text.length
      while (i > stop) {
        const c = text.charCodeAt(i - 1)
        if (c >= 128 || table[c] === 0) break
        i--
      }
      while (i < text.length && first[text.charCodeAt(i)] !== 1) i++
      return i
    }
  } else {
    const anchors = spec.pending.anchors.map((a) => a.toLowerCase())
    // A case-sensitive recognizer with one anchor (PEM) finds it with indexOf, much cheaper per push.
    const literal = !re.flags.includes('i') && spec.pending.anchors.length === 1 ? spec.pending.anchors[0] : undefined
    const finder = new RegExp(anchors.map((a) => a.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|'), 'gi')
    const nextAnchor = (text: string, at: number): number => {
      if (literal !== undefined) return text.indexOf(literal, at)
      finder.lastIndex = at
      return finder.exec(text)?.index ?? -1
    }
    const longestPartial = Math.max(...anchors.map((a) => a.length - 1))
    const isFirst = new Uint8Array(128)
    for (const a of anchors) isFirst[a.charCodeAt(0)] = 1
    // Whether text[s, n) is a proper prefix of an anchor, ASCII case folded as the 'i' flag does
    // without 'u'. Runs per push, so it compares in place instead of slicing and lowercasing.
    const isPartialAt = (text: string, s: number, n: number): boolean => {
      const c = text.charCodeAt(s)
      if (isFirst[c >= 65 && c <= 90 ? c | 0x20 : c] !== 1) return false
      for (const a of anchors) {
        if (a.length <= n - s) continue
        let j = s
        for (; j < n; j++) {
          const d = text.charCodeAt(j)
          if ((d >= 65 && d <= 90 ? d | 0x20 : d) !== a.charCodeAt(j - s)) break
        }
        if (j === n) return true
      }
      return false
    }
    pendingFrom = (text, floor) => {
      const n = text.length
      const base = Math.max(floor, n - maxLength)
      // An anchor cut off by the end of the text may become a match.
      let pending = n
      for (let s = Math.max(base, n - longestPartial); s < n; s++) {
        if (isPartialAt(text, s, n)) { pending = s; break }
      }
      for (let q = nextAnchor(text, base); q !== -1 && q < pending; q = nextAnchor(text, q + 1)) {
        sticky.lastIndex = q
        const whole = sticky.exec(text)
        // A match that ends before the end of the text is final; one that fails or reaches the end
        // may still change.
        if (whole === null || q + whole[0].length >= n) return q
      }
      return pending
    }
  }
  const before = spec.trigger.before ?? ('chars' in spec.pending ? spec.pending : undefined)
  if (spec.trigger.lead > 0 && before === undefined) throw new TypeError(`${entity} recognizer: a trigger with lead > 0 needs 'before'`)
  if (spec.trigger.lead >= maxLength) throw new TypeError(`${entity} recognizer: trigger lead must be under maxLength`)
  const trigger: Trigger = { ...spec.trigger, trail: spec.trigger.trail ?? 0, ...(before === undefined ? {} : { before }) }
  return { entity, priority, maxLength, lookback, scan, pendingFrom, trigger }
}
