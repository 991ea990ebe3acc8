import { isMod97Valid } from '../checksums.js'
import { isDigitCode } from '../ascii-class.js'
import { DIGITS, regexRecognizer } from '../regex-recognizer.js'

/** IBAN length per country. @see https://www.swift.com/standards/data-standards/iban-international-bank-account-number */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22,
  GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27,
  MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24,
  XK: 20
}

// Country, check digits, then single characters each optionally after one space: one way to split.
const IBAN_RUN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}/g

const isUpperCode = (c: number): boolean => c >= 65 && c <= 90
const isAlnumCode = (c: number): boolean => isDigitCode(c) || isUpperCode(c) || (c >= 97 && c <= 122)

function afterCountryCode (text: string, i: number): boolean {
  return i >= 3 && isDigitCode(text.charCodeAt(i - 1)) && isUpperCode(text.charCodeAt(i - 2)) && isUpperCode(text.charCodeAt(i - 3)) &&
    (i === 3 || !isAlnumCode(text.charCodeAt(i - 4)))
}

/** IBAN: a known country's length, ISO 7064 mod 97-10 check; compact or in groups of four. */
export const ibanRecognizer = regexRecognizer({
  entity: 'IBAN',
  priority: 80,
  maxLength: 34 + 8 + 1,
  re: IBAN_RUN,
  needs: 'digit',
  pending: { chars: /[A-Z0-9 ]/, first: /[A-Z]/ },
  // The second check digit, after the first and two capital letters that do not follow a letter or
  // digit (the regex's lookbehind): 3 characters after the start.
  trigger: { chars: DIGITS, lead: 3, confirm: afterCountryCode },
  check (m, text) {
    const raw = m[0]
    const want = IBAN_LENGTHS[raw.slice(0, 2)]
    if (want === undefined) return null
    let count = 0
    let j = 0
    while (j < raw.length && count < want) { if (raw[j] !== ' ') count++; j++ }
    if (count < want) return null
    const after = text[m.index + j] ?? ''
    if (/[A-Za-z0-9]/.test(after)) return null
    const compact = raw.slice(0, j).replaceAll(' ', '')
    if (!isMod97Valid(compact)) return null
    return { start: m.index, end: m.index + j, score: 0.9 }
  }
})
