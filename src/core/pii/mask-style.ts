import { createHmac } from 'node:crypto'
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import type { MaskStyle } from '../events/index.js'
import { RecognizerError } from '../errors.js'

/** Hex digits of the HMAC kept in a hash token: 48 bits, so joins over millions of values rarely collide. */
export const HASH_HEX_CHARS = 12

/** The type a whole SQL value gets when the caller does not name one. */
export const REDACTED = 'REDACTED'

export const MASK_STYLES: readonly MaskStyle[] = ['label', 'partial', 'hash', 'null']

/** Values that mean the same thing hash the same: case-folded emails, E.164 phones, separator-free numbers. */
function canonical (type: string, value: string): string {
  switch (type) {
    case 'EMAIL': return value.toLowerCase()
    case 'PHONE': return parsePhoneNumberFromString(value, 'US')?.number ?? value.replace(/[^0-9+]/g, '')
    case 'CREDIT_CARD': case 'US_SSN': case 'IBAN': return value.replace(/[^A-Za-z0-9]/g, '').toUpperCase()
    case 'IP_ADDRESS': return value.toLowerCase()
    default: return value
  }
}

/** `keep` last letters/digits stay; every other letter or digit becomes '*'; punctuation stays. */
function keepLast (value: string, keep: number): string {
  let left = keep
  const out = value.split('')
  for (let i = out.length - 1; i >= 0; i--) {
    if (/[\p{L}\p{N}]/u.test(out[i])) {
      if (left > 0) left--
      else out[i] = '*'
    }
  }
  return out.join('')
}

/** Replaces one value according to a style. Built once per masker. */
export type Replacer = (type: string, value: string) => string | null

/**
 * label: `[TYPE]`. partial: the last 4 letters/digits kept, the others `*`, separators kept
 * (`**** **** **** 4242`); a SECRET keeps its last 4 after a fixed `****` so its length stays hidden,
 * and short or PEM secrets show none. hash: `TYPE_` + 12 hex digits of HMAC-SHA256(key, canonical value).
 * null: a SQL NULL (the Replacer returns null; text contexts use label instead).
 */
export function createReplacer (style: MaskStyle, hashKey: Buffer | undefined): Replacer {
  switch (style) {
    case 'label':
    case 'null':
      return (type) => (style === 'null' ? null : `[${type}]`)
    case 'partial':
      return (type, value) => {
        if (type !== 'SECRET') return keepLast(value, 4)
        if (value.length < 16 || value.startsWith('-----')) return '********'
        return `****${value.slice(-4)}`
      }
    case 'hash': {
      if (hashKey === undefined || hashKey.length < 16) throw new RecognizerError('hash masking needs a key of at least 16 bytes (hashKey)')
      const key = Buffer.from(hashKey)
      return (type, value) => `${type}_${createHmac('sha256', key).update(`${type}\0${canonical(type, value)}`).digest('hex').slice(0, HASH_HEX_CHARS)}`
    }
    default:
      throw new RecognizerError(`unknown mask style '${String(style)}' (known: ${MASK_STYLES.join(', ')})`)
  }
}
