import { createHash } from 'node:crypto'

/** `prev` of the first line of a chain. */
export const GENESIS_HASH = '0'.repeat(64)

/** Where a chain stands: the last line's seq and hash (seq 0 and GENESIS_HASH before any line). */
export interface ChainHead { seq: number; hash: string }

/**
 * Canonical JSON of parsed JSON data: object keys sorted (UTF-16 code unit order), no whitespace,
 * JSON.stringify escaping and number forms. For the values an audit line holds this is RFC 8785 (JCS).
 * @see https://www.rfc-editor.org/rfc/rfc8785
 */
export function canonicalJson (value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`
}

/** SHA-256 hex over the canonical JSON of a line without its `hash` field. */
export function hashLine (line: Record<string, unknown>): string {
  const { hash: _hash, ...body } = line
  return createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex')
}

/**
 * Chains one line body onto the head: assigns seq and prev, computes hash, returns the text to write
 * (with a trailing newline) and the new head. The body goes through JSON first so the hash covers
 * exactly what a reader of the file will parse (undefined dropped, dates as strings).
 */
export function sealLine (body: Record<string, unknown>, head: ChainHead): { text: string; head: ChainHead } {
  const { time, ...rest } = JSON.parse(JSON.stringify(body)) as Record<string, unknown>
  const line: Record<string, unknown> = { time, seq: head.seq + 1, prev: head.hash, ...rest }
  const hash = hashLine(line)
  return { text: `${JSON.stringify({ ...line, hash })}\n`, head: { seq: head.seq + 1, hash } }
}
