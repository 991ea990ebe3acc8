import { isIPv6 } from 'node:net'
import { DIGITS, regexRecognizer } from '../regex-recognizer.js'

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`(?<![\\w.:])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g')
// Hex digits and colons with at least two colons ahead, optionally an embedded dotted quad; the
// result is validated by node:net, so the regex only has to be a superset.
const IPV6 = /(?<![\w:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{2,39}(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\d)/g

const VERSION_WORDS = /\b(?:version|ver|release|build|v)\.?\s*$/i

/** IP_ADDRESS, v4: dotted quad, each octet 0-255 (a "version 1.2.3.4" lowers the score). */
export const ipv4Recognizer = regexRecognizer({
  entity: 'IP_ADDRESS',
  priority: 50,
  maxLength: 15 + 2,
  re: IPV4,
  needs: 'digit',
  pending: { chars: /[\d.]/, first: /\d/ },
  trigger: { chars: DIGITS, lead: 0 },
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
  trigger: { chars: ':', lead: 4 },
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
