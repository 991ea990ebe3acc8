import { parseSync } from 'libpg-query'

/** A COPY ... TO STDOUT statement: what the rows are and how they are written. */
export interface CopyOutStatement {
  /** The table copied; absent for COPY (query) TO STDOUT. */
  relation?: { schema?: string; name: string }
  /** COPY (query): every table or view the query names. */
  tablesRead: Array<{ schema?: string; name: string }>
  /** Columns listed after the table name; empty means all. */
  columns: string[]
  format: 'text' | 'csv' | 'binary'
  /** One byte each (PostgreSQL refuses multi-byte delimiters, quotes and escapes). */
  delimiter: number
  quote: number
  escape: number
  /** The text written for NULL. */
  nullString: string
  hasHeader: boolean
}

type Json = Record<string, unknown>

const TAB = 0x09
const COMMA = 0x2c
const DOUBLE_QUOTE = 0x22

function optionText (arg: unknown): string | undefined {
  const a = arg as Json | undefined
  if (a === undefined) return undefined
  if ('String' in a) return String((a.String as Json).sval ?? '')
  if ('Boolean' in a) return (a.Boolean as Json).boolval === true ? 'true' : 'false'
  if ('Integer' in a) return String((a.Integer as Json).ival ?? 0)
  return undefined
}

/** Every RangeVar (a table or view named in FROM, JOIN, subqueries, CTEs) under an AST node. */
function rangeVars (node: unknown, out: Array<{ schema?: string; name: string }>): Array<{ schema?: string; name: string }> {
  if (Array.isArray(node)) {
    for (const n of node) rangeVars(n, out)
  } else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'RangeVar') {
        const r = v as Json
        out.push({ ...(r.schemaname !== undefined ? { schema: String(r.schemaname) } : {}), name: String(r.relname) })
      }
      rangeVars(v, out)
    }
  }
  return out
}

const byteOf = (s: string | undefined, fallback: number): number => (s !== undefined && s.length > 0 ? Buffer.from(s, 'utf8')[0] : fallback)

function copyOut (stmt: Json): CopyOutStatement | undefined {
  // COPY ... FROM, and COPY TO a file or program (no rows reach the client).
  if (stmt.is_from === true || stmt.filename !== undefined || stmt.is_program === true) return undefined
  const opts = new Map<string, string | undefined>()
  for (const o of (stmt.options ?? []) as Json[]) {
    const d = o.DefElem as Json
    opts.set(String(d.defname), optionText(d.arg))
  }
  const format = opts.get('format') === 'csv' ? 'csv' : opts.get('format') === 'binary' ? 'binary' : 'text'
  const quote = byteOf(opts.get('quote'), DOUBLE_QUOTE)
  const header = opts.has('header') ? opts.get('header') : 'false'
  const rel = stmt.relation as Json | undefined
  return {
    ...(rel !== undefined ? { relation: { ...(rel.schemaname !== undefined ? { schema: String(rel.schemaname) } : {}), name: String(rel.relname) } } : {}),
    tablesRead: rangeVars(stmt.query, []),
    columns: ((stmt.attlist ?? []) as Json[]).map((a) => String((a.String as Json).sval)),
    format,
    delimiter: byteOf(opts.get('delimiter'), format === 'csv' ? COMMA : TAB),
    quote,
    escape: byteOf(opts.get('escape'), quote),
    nullString: opts.get('null') ?? (format === 'csv' ? '' : '\\N'),
    hasHeader: header === undefined || header === 'true' || header === 'on' || header === '1'
  }
}

/**
 * Every COPY ... TO STDOUT of a Query's text, in order (the relay pairs the n-th CopyOutResponse with the
 * n-th). Needs libpg-query loaded (createSqlAnalyzer does it). Empty when the text does not parse.
 * @see https://www.postgresql.org/docs/current/sql-copy.html
 */
export function copyOutStatements (sql: string): CopyOutStatement[] {
  let parsed: { stmts?: Array<{ stmt: Json }> }
  try {
    parsed = parseSync(sql) as typeof parsed
  } catch (err) {
    // Our bug, not the client's SQL: masking with guessed COPY options would mask the wrong columns.
    if (/not initialized/i.test((err as Error).message)) throw err
    return []
  }
  const out: CopyOutStatement[] = []
  for (const s of parsed.stmts ?? []) {
    const copy = s.stmt.CopyStmt as Json | undefined
    const c = copy !== undefined ? copyOut(copy) : undefined
    if (c !== undefined) out.push(c)
  }
  return out
}

/** What COPY writes by default: text format, tab-separated (used when the statement is not known). */
export const DEFAULT_COPY_TEXT: CopyOutStatement = { tablesRead: [], columns: [], format: 'text', delimiter: TAB, quote: DOUBLE_QUOTE, escape: DOUBLE_QUOTE, nullString: '\\N', hasHeader: false }
