import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { regexRecognizer } from '../regex-recognizer.js'

// An optional '+' or '(', a digit, a flat run of digits and separators, a final digit. No nesting.
const PHONE_RUN = /(?<![\w+(/.-])[+(]?\d[\d ().-]{4,22}\d/g

// US national shapes: (415) 555-2671, 415-555-2671, 415.555.2671, 415 555 2671, 1-415-555-2671.
const US_SHAPE = /^(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}$/
const BARE_TEN = /^\d{10}$/
// International: '+', country code, groups of digits with one separator between them, an optional
// parenthesised group. Applied to at most 25 characters.
const INTL_SHAPE = /^\+\d{1,4}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}$/

/**
 * PHONE: international numbers written with '+' and US national numbers in their usual shapes,
 * validated against libphonenumber's metadata (number plan, length, leading digits). Ten bare digits
 * count only next to a context word.
 * @see https://github.com/catamphetamine/libphonenumber-js#isvalid
 */
export const phoneRecognizer = regexRecognizer({
  entity: 'PHONE',
  priority: 40,
  maxLength: 25 + 1,
  re: PHONE_RUN,
  pending: { chars: /[\d ().+-]/ },
  context: /\b(?:phone|tel|telephone|mobile|cell|call|fax|sms|whatsapp|contact|reach)\b/i,
  contextBoost: 0.3,
  check (m, text) {
    const raw = m[0]
    for (let j = raw.length; j > 1; j--) {
      const last = raw.charCodeAt(j - 1)
      if (last < 48 || last > 57) continue
      const after = j === raw.length ? (text[m.index + j] ?? '') : raw[j]
      if (/[\w]/.test(after)) continue
      const s = raw.slice(0, j)
      let score: number
      if (s.startsWith('+')) {
        if (!INTL_SHAPE.test(s)) continue
        score = 0.75
      } else if (US_SHAPE.test(s)) {
        score = 0.7
      } else if (BARE_TEN.test(s)) {
        score = 0.35
      } else {
        continue
      }
      if (parsePhoneNumberFromString(s, 'US')?.isValid() !== true) continue
      return { start: m.index, end: m.index + j, score }
    }
    return null
  }
})
