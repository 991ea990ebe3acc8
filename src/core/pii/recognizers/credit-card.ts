import { isLuhnValid } from '../checksums.js'
import { DIGITS, regexRecognizer } from '../regex-recognizer.js'

// 12 to 23 digits, each after the fourth optionally after one space or hyphen. Every grouping a card is
// printed with starts with four digits (and a compact number has more), so a run of short numbers
// ("1 2 3 4 ...") never starts a match: it would cost a match and a check at every one of them.
const DIGIT_RUN = /(?<![\w-])\d{4}(?:[ -]?\d){8,19}/g

/** Issuer prefixes of the card networks in use (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
function hasKnownIssuer (d: string): boolean {
  const two = Number(d.slice(0, 2))
  const four = Number(d.slice(0, 4))
  switch (d[0]) {
    case '2': return four >= 2221 && four <= 2720
    case '3': return two === 34 || two === 37 || two === 36 || two === 38 || two === 39 || (two === 30 && Number(d[2]) <= 5) || (four >= 3528 && four <= 3589)
    case '4': return true
    case '5': return two >= 50 && two <= 59
    case '6': return true
    default: return false
  }
}

/** Separated numbers come in the groupings cards are printed with: 4-4-4-4, 4-4-4-4-3, 4-6-5 (Amex), 4-6-4 (Diners). */
const CARD_GROUPINGS = new Set(['4,4,4,4', '4,4,4,4,3', '4,6,5', '4,6,4'])
const GROUP_COUNTS = [5, 4, 3, 1]

/** CREDIT_CARD: 12-19 digits, spaces or hyphens between groups, a known issuer prefix, Luhn-valid. */
export const creditCardRecognizer = regexRecognizer({
  entity: 'CREDIT_CARD',
  priority: 80,
  maxLength: 23 + 22,
  re: DIGIT_RUN,
  needs: 'digit',
  pending: { chars: /[\d -]/, first: /\d/ },
  // A match holds 12+ digits, consecutive ones at most one space or hyphen apart: its 12th digit ends
  // such a run, at most 19 characters after the start (four digits, then eight of [ -]?\d).
  trigger: { chars: DIGITS, lead: 19, digitRun: { min: 12, joiners: ' -' } },
  context: /\b(?:card|credit|visa|master ?card|amex|cc|payment|pan)\b/i,
  contextBoost: 0.15,
  check (m, text) {
    const raw = m[0]
    const groups = raw.split(/[ -]/)
    // The run may hold a card followed by more numbers. Only the printed groupings (5, 4 or 3
    // groups, one kind of separator) or one compact group can be a card: try those, most groups first.
    for (const k of GROUP_COUNTS) {
      if (k > groups.length) continue
      const shape = groups.slice(0, k)
      const length = shape.reduce((n, g) => n + g.length, 0) + k - 1
      const end = m.index + length
      if (k === groups.length && /\w/.test(text[end] ?? '')) continue
      if (k > 1) {
        const seps = raw.slice(0, length).replace(/\d/g, '')
        if (seps !== seps[0].repeat(k - 1) || !CARD_GROUPINGS.has(shape.map((g) => g.length).join(','))) continue
      }
      const digits = shape.join('')
      if (digits.length < 12 || digits.length > 19 || !hasKnownIssuer(digits) || !isLuhnValid(digits)) continue
      return { start: m.index, end, score: 0.8 }
    }
    return null
  }
})
