import type { Finding } from '../../../core/pii/index.js'

/** Replaces one finding's text; `type` is the finding's entity type. */
export type InTextReplacer = (type: string, value: string) => string

interface Token { start: number; end: number; isString: boolean }
interface Edit { start: number; end: number; text: string }

const QUOTE = 0x22 // '"'
const BACKSLASH = 0x5c // '\\'
/** Characters that end a JSON scalar (number, true, false, null) or separate values. */
const SEPARATORS = new Set([...'{}[],: \t\r\n'].map((c) => c.charCodeAt(0)))

/**
 * String literals and scalar runs of a JSON text. `isContinuation[i]` marks characters inside an escape
 * sequence after its backslash. Tolerant: anything that is not JSON still splits into tokens (a PostgreSQL
 * array literal `{a@b.c,x}` gives scalar runs), so replacing whole tokens keeps such texts parseable too.
 */
function tokenize (text: string): { tokens: Token[]; isContinuation: Uint8Array } {
  const tokens: Token[] = []
  const isContinuation = new Uint8Array(text.length + 1)
  let i = 0
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const start = i++
      while (i < text.length && text.charCodeAt(i) !== QUOTE) {
        if (text.charCodeAt(i) === BACKSLASH) {
          const len = text[i + 1] === 'u' ? 6 : 2
          for (let k = 1; k < len && i + k < text.length; k++) isContinuation[i + k] = 1
          i += len
        } else {
          i++
        }
      }
      i = Math.min(i + 1, text.length)
      tokens.push({ start, end: i, isString: true })
    } else if (SEPARATORS.has(c)) {
      i++
    } else {
      const start = i
      while (i < text.length && !SEPARATORS.has(text.charCodeAt(i)) && text.charCodeAt(i) !== QUOTE) i++
      tokens.push({ start, end: i, isString: false })
    }
  }
  return { tokens, isContinuation }
}

/** The decoded value of a token: a string literal's content, or a scalar's text. */
function tokenValue (text: string, t: Token): string {
  const raw = text.slice(t.start, t.end)
  if (!t.isString) return raw
  try {
    return JSON.parse(raw) as string
  } catch {
    return raw.slice(1, -1)
  }
}

/**
 * `text` with `findings` replaced so that a JSON document stays valid JSON. A finding inside one string
 * literal, clear of escape sequences, is replaced in place (the replacement JSON-escaped). Any other finding
 * (a number holding a card number, a match touching an escape or a quote) replaces every token it touches
 * with a JSON string of the masked token, which is valid wherever the token was.
 */
export function applyJsonSafe (text: string, findings: readonly Finding[], replace: InTextReplacer): string {
  const { tokens, isContinuation } = tokenize(text)
  const edits: Edit[] = []
  const wholeTokens = new Map<Token, string>()
  let t = 0
  for (const f of findings) {
    while (t < tokens.length && tokens[t].end <= f.start) t++
    const tok = tokens[t]
    if (tok === undefined) continue
    const slice = text.slice(f.start, f.end)
    if (tok.isString && f.start > tok.start && f.end < tok.end && !slice.includes('\\') && isContinuation[f.start] === 0) {
      edits.push({ start: f.start, end: f.end, text: JSON.stringify(replace(f.type, slice)).slice(1, -1) })
      continue
    }
    for (let k = t; k < tokens.length && tokens[k].start < f.end; k++) {
      if (!wholeTokens.has(tokens[k])) wholeTokens.set(tokens[k], f.type)
    }
  }
  const kept = edits.filter((e) => ![...wholeTokens.keys()].some((w) => e.start >= w.start && e.end <= w.end))
  for (const [w, type] of wholeTokens) kept.push({ start: w.start, end: w.end, text: JSON.stringify(replace(type, tokenValue(text, w))) })
  kept.sort((a, b) => a.start - b.start)
  let out = ''
  let at = 0
  for (const e of kept) {
    out += text.slice(at, e.start) + e.text
    at = e.end
  }
  return out + text.slice(at)
}

/**
 * `text` with the value of every object member whose key is in `keys` (lower-case) replaced whole by
 * `replace(value)` as a JSON value (null for SQL NULL style): row_to_json(c), to_jsonb(c), json_agg(c) and
 * json_build_object('email', ...) carry masked columns under their names. Object and array values are left
 * to content detection. Undefined when no key matched.
 */
export function maskJsonMembers (text: string, keys: ReadonlySet<string>, replace: (value: string) => string | null): string | undefined {
  const { tokens } = tokenize(text)
  const edits: Edit[] = []
  for (let i = 0; i + 1 < tokens.length; i++) {
    const key = tokens[i]
    if (!key.isString || !keys.has(tokenValue(text, key).toLowerCase())) continue
    const between = text.slice(key.end, tokens[i + 1].start).trim()
    if (between !== ':') continue
    const value = tokens[i + 1]
    const raw = text.slice(value.start, value.end)
    if (raw === 'null') continue
    const replaced = replace(tokenValue(text, value))
    edits.push({ start: value.start, end: value.end, text: replaced === null ? 'null' : JSON.stringify(replaced) })
    i++
  }
  if (edits.length === 0) return undefined
  let out = ''
  let at = 0
  for (const e of edits) {
    out += text.slice(at, e.start) + e.text
    at = e.end
  }
  return out + text.slice(at)
}
