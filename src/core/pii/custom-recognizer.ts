import { RE2JS, RE2JSException } from 're2js'
import type { CustomRecognizerSpec } from '../events/index.js'
import { RecognizerError } from '../errors.js'
import { isLuhnValid, isMod97Valid } from './checksums.js'
import { CONTEXT_WINDOW_CHARS } from './regex-recognizer.js'
import { patternShapeOf } from './pattern-bounds.js'
import type { Candidate, Recognizer } from './types.js'

/** The longest match a policy-declared pattern may have; it bounds the stream masker's hold-back. */
export const MAX_CUSTOM_MATCH_CHARS = 1024

const ENTITY_NAME = /^[A-Z][A-Z0-9_]{0,63}$/
/** Custom recognizers rank above the generic built-ins (IP, phone), below checksummed ones. */
const CUSTOM_PRIORITY = 55
const DEFAULT_SCORE = 0.6
const CONTEXT_BOOST = 0.3

/**
 * Compiles a recognizer declared in a policy. Patterns are RE2 syntax (linear-time matching, no
 * backreferences or lookaround) and must have a bounded match length; anything else throws a
 * RecognizerError whose message says what to change.
 */
export function compileRecognizer (spec: CustomRecognizerSpec): Recognizer {
  const { entity, pattern } = spec
  if (typeof entity !== 'string' || !ENTITY_NAME.test(entity)) {
    throw new RecognizerError(`recognizer entity '${String(entity)}' must be upper-case letters, digits and _ (e.g. EMPLOYEE_ID)`)
  }
  if (typeof pattern !== 'string' || pattern === '') throw new RecognizerError(`recognizer ${entity}: pattern must be a non-empty string`)
  let re: RE2JS
  try {
    re = RE2JS.compile(pattern)
  } catch (err) {
    const why = err instanceof RE2JSException ? err.message : String(err)
    throw new RecognizerError(`recognizer ${entity}: invalid RE2 pattern: ${why}`)
  }
  const { bounds, firstChars } = patternShapeOf(pattern)
  if (bounds.max === Infinity) {
    throw new RecognizerError(`recognizer ${entity}: pattern can match unboundedly long text; bound every repetition (e.g. \\d{1,20} instead of \\d+) so a match is at most ${MAX_CUSTOM_MATCH_CHARS} characters`)
  }
  if (bounds.max > MAX_CUSTOM_MATCH_CHARS) {
    throw new RecognizerError(`recognizer ${entity}: pattern can match up to ${bounds.max} characters; the limit is ${MAX_CUSTOM_MATCH_CHARS}`)
  }
  if (bounds.min === 0) throw new RecognizerError(`recognizer ${entity}: pattern can match empty text`)
  const validate = spec.validate ?? 'none'
  if (validate !== 'none' && validate !== 'luhn' && validate !== 'mod97') {
    throw new RecognizerError(`recognizer ${entity}: validate must be luhn, mod97 or none`)
  }
  const score = spec.score ?? DEFAULT_SCORE
  if (typeof score !== 'number' || !(score >= 0 && score <= 1)) throw new RecognizerError(`recognizer ${entity}: score must be a number from 0 to 1`)
  const context = (spec.context ?? []).map((w) => w.toLowerCase())

  const isValid = (s: string): boolean => {
    if (validate === 'luhn') return isLuhnValid(s.replace(/\D/g, ''))
    if (validate === 'mod97') return isMod97Valid(s.replace(/[^A-Za-z0-9]/g, '').toUpperCase())
    return true
  }
  const scoreAt = (text: string, start: number): number => {
    if (context.length === 0) return score
    const before = text.slice(Math.max(0, start - CONTEXT_WINDOW_CHARS), start).toLowerCase()
    return context.some((w) => before.includes(w)) ? Math.min(1, score + CONTEXT_BOOST) : score
  }
  const maxLength = bounds.max + 1 // one more character decides \b or $ after a match

  const scan = (text: string, from: number, emit: (c: Candidate) => void): void => {
    const m = re.matcher(text)
    let at = from
    while (at < text.length && m.find(at)) {
      const start = m.start()
      const end = m.end()
      if (end > start && isValid(text.slice(start, end))) emit({ type: entity, start, end, score: scoreAt(text, start), priority: CUSTOM_PRIORITY })
      at = start + 1
    }
  }
  // RE2 gives no partial-match information, so any of the last maxLength characters may begin one.
  const pendingFrom = (text: string, floor: number): number => Math.max(floor, text.length - maxLength)
  // When every match begins with one of a few ASCII characters (EMP-\d{6} with E), a stream runs this
  // recognizer only after one of them; else it runs on every push.
  const trigger = firstChars === undefined ? undefined : { chars: firstChars, lead: 0, trail: 0 }
  return { entity, priority: CUSTOM_PRIORITY, maxLength, scan, pendingFrom, ...(trigger === undefined ? {} : { trigger }) }
}
