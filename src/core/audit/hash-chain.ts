import { hash as oneShotHash } from 'node:crypto'

/** `prev` of the first line of a chain. */
export const GENESIS_HASH = '0'.repeat(64)

/** Where a chain stands: the last line's seq and hash (seq 0 and GENESIS_HASH before any line). */
export interface ChainHead { seq: number; hash: string }

/**
 * Canonical JSON of a value as JSON.stringify sees it (toJSON called, undefined/functions/symbols left out
 * of objects and null in arrays, non-finite numbers null), object keys sorted (UTF-16 code unit order), no
 * whitespace, JSON.stringify escaping and number forms. A value and what JSON.parse makes of its
 * JSON.stringify give the same text, so a line hashes the same before it is written and after it is read
 * back. For the values an audit line holds this is RFC 8785 (JCS).
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export function canonicalJson (value: unknown): string {
  return canonicalOf(value, '') ?? 'null'
}

/** undefined where JSON.stringify would leave the value out. */
function canonicalOf (value: unknown, key: string): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key)
  }
  if (typeof value === 'string') return quoted(value)
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  // Boxed primitives serialize as their value.
  if (value instanceof Number || value instanceof String || value instanceof Boolean) return JSON.stringify(value)
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += `${i === 0 ? '' : ','}${canonicalOf(value[i], String(i)) ?? 'null'}`
    return `${out}]`
  }
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj).sort()
  let out = '{'
  for (const k of keys) {
    const v = canonicalOf(obj[k], k)
    if (v === undefined) continue
    out += `${out.length === 1 ? '' : ','}${quoted(k)}:${v}`
  }
  return `${out}}`
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const FIRST_PRINTABLE = 0x20
const FIRST_SURROGATE = 0xd800
const LAST_SURROGATE = 0xdfff

/** JSON.stringify of a string; most audit strings need no escaping, and checking is cheaper than the call. */
function quoted (s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < FIRST_PRINTABLE || c === QUOTE || c === BACKSLASH || (c >= FIRST_SURROGATE && c <= LAST_SURROGATE)) return JSON.stringify(s)
  }
  return `"${s}"`
}

/** SHA-256 hex over the canonical JSON of a line without its `hash` field. */
export function hashLine (line: Record<string, unknown>): string {
  const { hash: _hash, ...body } = line
  return sha256Hex(body)
}

const sha256Hex = (body: Record<string, unknown>): string => oneShotHash('sha256', canonicalJson(body), 'hex')

/**
 * Chains one line body onto the head: assigns seq and prev, computes hash, returns the text to write
 * (with a trailing newline) and the new head. The hash covers exactly what a reader of the file will
 * parse (undefined dropped, dates as strings): canonicalJson follows JSON.stringify's rules.
 */
export function sealLine (body: Record<string, unknown>, head: ChainHead): { text: string; head: ChainHead } {
  const { time, hash: _hash, ...rest } = body
  const line: Record<string, unknown> = { time, seq: head.seq + 1, prev: head.hash, ...rest }
  const hash = sha256Hex(line)
  const text = JSON.stringify(line)
  // The line always has seq and prev, so its JSON is an object with members: hash goes in as the last one.
  return { text: `${text.slice(0, -1)},"hash":"${hash}"}\n`, head: { seq: head.seq + 1, hash } }
}
