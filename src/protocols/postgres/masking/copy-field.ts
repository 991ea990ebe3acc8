import type { CopyOutStatement } from './copy-statement.js'

/**
 * One field of a COPY text or CSV row: its decoded value, and the field written back.
 * @see https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2 (text) and #id-1.9.3.55.9.3 (CSV)
 */
const BACKSLASH = '\\'
const TEXT_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' }
const TEXT_ESCAPED: Record<string, string> = { '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\v': 'v', '\\': '\\' }

/** A text-format field's value: backslash sequences undone (COPY TO writes only these). */
export function decodeTextField (raw: string): string {
  if (!raw.includes(BACKSLASH)) return raw
  let out = ''
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== BACKSLASH || i + 1 >= raw.length) {
      out += raw[i]
      continue
    }
    const next = raw[++i]
    out += TEXT_ESCAPES[next] ?? next
  }
  return out
}

export function encodeTextField (value: string, delimiter: string): string {
  let out = ''
  for (const c of value) {
    const e = TEXT_ESCAPED[c]
    out += e !== undefined ? BACKSLASH + e : c === delimiter ? BACKSLASH + c : c
  }
  return out
}

export function decodeCsvField (raw: string, quote: string, escape: string): string {
  if (!raw.startsWith(quote)) return raw
  let out = ''
  for (let i = 1; i < raw.length; i++) {
    const c = raw[i]
    if (c === escape && (raw[i + 1] === quote || (escape !== quote && raw[i + 1] === escape))) {
      out += raw[++i]
    } else if (c !== quote) {
      out += c
    }
  }
  return out
}

/** Always quoted: a written value is never mistaken for NULL or split at a delimiter. */
export function encodeCsvField (value: string, quote: string, escape: string): string {
  let out = quote
  for (const c of value) out += c === quote || c === escape ? escape + c : c
  return out + quote
}

export interface FieldCodec {
  decode (raw: string): string
  encode (value: string): string
}

export function fieldCodec (s: CopyOutStatement): FieldCodec {
  const delimiter = String.fromCharCode(s.delimiter)
  const quote = String.fromCharCode(s.quote)
  const escape = String.fromCharCode(s.escape)
  return s.format === 'csv'
    ? { decode: (raw) => decodeCsvField(raw, quote, escape), encode: (v) => encodeCsvField(v, quote, escape) }
    : { decode: decodeTextField, encode: (v) => encodeTextField(v, delimiter) }
}
