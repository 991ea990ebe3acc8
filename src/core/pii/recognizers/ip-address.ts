import { isIPv6 } from 'node:net'
import { isDigitCode } from '../ascii-class.js'
import { regexRecognizer } from '../regex-recognizer.js'
import { TRIGGER_LOOKBACK_CHARS } from '../types.js'

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`(?<![\\w.:])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g')
// Hex digits and colons with at least two colons ahead, optionally an embedded dotted quad; the
// result is validated by node:net, so the regex only has to be a superset.
const IPV6 = /(?<![\w:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{2,39}(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\d)/g

const VERSION_WORDS = /\b(?:version|ver|release|build|v)\.?\s*$/i

const DOT = 0x2e // '.'
const COLON = 0x3a // ':'

/** text[i] ('.') ends three groups of 1-3 digits, each but the first after a '.'. */
function isThirdDot (text: string, i: number): boolean {
  let j = i
  for (let group = 0; group < 3; group++) {
    if (group > 0) {
      if (text.charCodeAt(j - 1) !== DOT) return false
      j--
    }
    let digits = 0
    while (digits <= 3 && j > 0 && isDigitCode(text.charCodeAt(j - 1))) { j--; digits++ }
    if (digits === 0 || digits > 3) return false
  }
  return true
}

const isHexCode = (c: number): boolean => isDigitCode(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)

/** text[i] (':') follows a ':', or is the sixth ':' of a run of hex digits and colons. */
function isIPv6Colon (text: string, i: number): boolean {
  if (text.charCodeAt(i - 1) === COLON) return true
  let colons = 1
  for (let j = i - 1; ; j--) {
    if (j < i - TRIGGER_LOOKBACK_CHARS) return true
    const c = text.charCodeAt(j)
    if (c === COLON) {
      if (++colons === 6) return true
    } else if (!isHexCode(c)) return false
  }
}

/** IP_ADDRESS, v4: dotted quad, each octet 0-255 (a "version 1.2.3.4" lowers the score). */
export const ipv4Recognizer = regexRecognizer({
  entity: 'IP_ADDRESS',
  priority: 50,
  maxLength: 15 + 2,
  re: IPV4,
  needs: 'digit',
  pending: { chars: /[\d.]/, first: /\d/ },
  // Groups of 1-3 digits (the first after no word character) joined by single dots: the third dot is
  // inside the match, at most 11 characters in. A price or a three-part version has fewer dots.
  trigger: { chars: '.', lead: 11, confirm: isThirdDot },
  againstContext: VERSION_WORDS,
  check: (m) => ({ start: m.index, end: m.index + m[0].length, score: 0.7 })
})

/** IP_ADDRESS, v6: any RFC 4291 text form node:net accepts, with at least one hex digit. */
export const ipv6Recognizer = regexRecognizer({
  entity: 'IP_ADDRESS',
  priority: 50,
  maxLength: 39 + 16 + 1,
  re: IPV6,
  needs: [':'],
  pending: { chars: /[0-9A-Fa-f:.]/ },
  // node:net accepts only forms with '::' or with at least six colons (eight groups, or six and a
  // dotted quad), all in the first 39 characters of the match: the second ':' of '::' or the sixth
  // ':' is a trigger. A clock time (12:34:56) is neither.
  trigger: { chars: ':', lead: 38, confirm: isIPv6Colon },
  // A match begins at most 4 hex digits before a ':' that has another ':' within 5 characters.
  starts (text, from, visit) {
    for (let t = text.indexOf(':', from); t !== -1; t = text.indexOf(':', t + 1)) {
      const next = text.indexOf(':', t + 1)
      if (next === -1) return
      if (next - t > 5) { t = next - 1; continue }
      for (let q = Math.max(from, t - 4); q <= t; q++) visit(q)
    }
  },
  check (m) {
    const s = m[0]
    if (!/[0-9A-Fa-f]/.test(s) || !isIPv6(s)) return null
    return { start: m.index, end: m.index + s.length, score: 0.75 }
  }
})
