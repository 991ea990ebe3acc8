import { regexRecognizer } from '../regex-recognizer.js'

// Local part, '@', up to 8 dot-terminated labels, a letters-only TLD. Labels end at '.', which no
// label contains, so the label group splits a domain one way only: linear.
// A '-' may touch either end ("-----END PRIVATE KEY-----bob@x.com", "bob@x.com-----BEGIN"): once its
// neighbour is masked the address would otherwise stand alone, unmasked.
const EMAIL = /(?<![A-Za-z0-9_.%+])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9]|\.[A-Za-z0-9-])/g

/** EMAIL: addr-spec as people write it (RFC 5322 dot-atom local part, DNS host name). */
export const emailRecognizer = regexRecognizer({
  entity: 'EMAIL',
  priority: 60,
  maxLength: 64 + 1 + 8 * 64 + 24 + 2,
  re: EMAIL,
  needs: ['@'],
  pending: { chars: /[A-Za-z0-9._%+@-]/, first: /[A-Za-z0-9._%+-]/ },
  trigger: { chars: '@', lead: 64 },
  check (m) {
    const s = m[0]
    const at = s.indexOf('@')
    const local = s.slice(0, at)
    if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null
    for (const label of s.slice(at + 1).split('.')) {
      if (label.startsWith('-') || label.endsWith('-')) return null
    }
    return { start: m.index, end: m.index + s.length, score: 0.9 }
  }
})
