import { DIGITS, regexRecognizer } from '../regex-recognizer.js'

const SSN = /(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])/g

/**
 * US_SSN: AAA-GG-SSSS. Area 000, 666 and 900-999, group 00 and serial 0000 are never issued.
 * Nine bare digits are only an SSN when a context word says so.
 * @see https://www.ssa.gov/employer/randomization.html
 */
export const usSsnRecognizer = regexRecognizer({
  entity: 'US_SSN',
  priority: 70,
  maxLength: 11 + 1,
  re: SSN,
  needs: 'digit',
  pending: { chars: /[\d -]/, first: /\d/ },
  // Nine digits with at most one space or hyphen between two: the ninth ends such a run, at most
  // 10 characters after the start (3, separator, 2, separator, 4).
  trigger: { chars: DIGITS, lead: 10, digitRun: { min: 9, joiners: ' -' } },
  context: /\b(?:ssn|ssns|social security|social sec|ss#|ss no|taxpayer)/i,
  contextBoost: 0.4,
  check (m) {
    const area = Number(m[1])
    if (area === 0 || area === 666 || area >= 900 || m[3] === '00' || m[4] === '0000') return null
    const score = m[2] === '-' ? 0.75 : m[2] === ' ' ? 0.55 : 0.3
    return { start: m.index, end: m.index + m[0].length, score }
  }
})
