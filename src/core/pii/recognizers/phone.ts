import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { DIGITS, regexRecognizer } from '../regex-recognizer.js'

// '+' and a flat run of digits and separators ending in a digit (checked below), or a US national
// shape: (415) 555-2671, 415-555-2671, 415.555.2671, 415 555 2671, 1-415-555-2671, ten bare digits.
// Alternatives and groups are flat: linear. A number opening with '+' or '(' may follow anything
// ("a@x.com(415) 555-2671", "...1117+44 20 7946 0958"): masking its neighbour must not unmask it.
// One opening with a digit may not follow a word character (it would be the tail of a token).
const PHONE = /(?:(?<![+(])(?=[+(])|(?<![\w+(/.-]))(?:\+\d[\d ().-]{5,22}\d|(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?!\w)|\d{10}(?!\w))/g

// International: '+', a country code and digits, an optional parenthesised group (an area code, or
// the "(0)" of UK/DE/FR habits) with digits right after it, then groups with one separator before
// each. A separator or parenthesis ends every group, so a string splits one way.
const INTL_SHAPE = /^\+\d{1,15}(?:[ .-]?\(\d{1,4}\)[ .-]?\d{1,10})?(?:[ .-]\d{1,10}){0,6}$/

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
  re: PHONE,
  needs: 'digit',
  pending: { chars: /[\d ().+-]/, first: /[\d+(]/ },
  // An international number starts with '+'. A national one has '(' at most 2 characters in
  // ("1 (415)"), or else is ten or eleven digits at most one of ' .-' apart, whose tenth digit is at
  // most 12 characters in ("1-415-555-267").
  trigger: { chars: DIGITS + '+(', lead: 12, digitRun: { min: 10, joiners: ' .-' } },
  context: /\b(?:phone|tel|telephone|mobile|cell|call|fax|sms|whatsapp|contact|reach)\b/i,
  contextBoost: 0.3,
  check (m, text) {
    const raw = m[0]
    if (!raw.startsWith('+')) {
      if (parsePhoneNumberFromString(raw, 'US')?.isValid() !== true) return null
      return { start: m.index, end: m.index + raw.length, score: /^\d{10}$/.test(raw) ? 0.35 : 0.7 }
    }
    // The run may hold a number followed by more digits ("+49 30 901820 4111 1111 1111 1111"): every
    // group end that makes a valid number is a candidate, and overlap resolution picks.
    const spans = []
    for (let j = raw.length; j > 1; j--) {
      const last = raw.charCodeAt(j - 1)
      if (last < 48 || last > 57) continue
      const after = j === raw.length ? (text[m.index + j] ?? '') : raw[j]
      if (/\w/.test(after)) continue
      const s = raw.slice(0, j)
      if (INTL_SHAPE.test(s) && parsePhoneNumberFromString(s)?.isValid() === true) spans.push({ start: m.index, end: m.index + j, score: 0.75 })
    }
    return spans.length > 0 ? spans : null
  }
})
