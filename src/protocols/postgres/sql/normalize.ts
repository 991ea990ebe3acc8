/**
 * SQL text for audit with every literal replaced by a `$n` placeholder.
 *
 * libpg-query's normalize replaces the constants the planner would see, but leaves literals in
 * many utility statements (`EXECUTE p('a@b.com')`, `PREPARE p AS SELECT 'x'`, `CREATE VIEW ...`,
 * `COPY t FROM '/path'`, column defaults). A second pass over the scanner's tokens replaces any
 * constant token that is left. Comments and identifiers are kept.
 * @see https://github.com/pganalyze/libpg_query#normalizing-a-query
 */
import { normalizeSync, scanSync } from 'libpg-query'

// Token numbers from PostgreSQL's gram.y: the first tokens it declares, stable across versions
// (a test fails if a release renumbers them, because literals would then reach the audit log).
const FCONST = 260
const SCONST = 261
const USCONST = 262 // U&'...'
const BCONST = 263 // B'...'
const XCONST = 264 // X'...'
const ICONST = 266
const PARAM = 267 // $n
const CONSTANT_TOKENS = new Set([FCONST, SCONST, USCONST, BCONST, XCONST, ICONST])

/** libpg-query's own normalization (the constants the planner sees as $n), or undefined when it cannot. Never throws. */
export function plannerNormalized (sql: string): string | undefined {
  try {
    return normalizeSync(sql)
  } catch {
    return undefined
  }
}

/**
 * Normalized text, or undefined when libpg-query cannot normalize or scan it. Never throws. `planner`:
 * plannerNormalized(sql) when the caller has it already.
 */
export function normalizeLiterals (sql: string, planner = plannerNormalized(sql)): string | undefined {
  if (planner === undefined) return undefined
  try {
    return replaceConstants(planner)
  } catch {
    return undefined
  }
}

// Where a constant could start: a quote (strings, E'', B'', X'', U&''), a dollar quote, or a digit
// that is neither inside a name (t1) nor part of a $n placeholder. Without one, nothing is left to
// replace and the scan (the costly part for bulk INSERTs) is skipped.
const MAY_HOLD_CONSTANT = /'|\$(?!\d)|(?<![\w$])\d/

function replaceConstants (sql: string): string {
  if (!MAY_HOLD_CONSTANT.test(sql)) return sql
  const tokens = scanSync(sql).tokens
  let nextParam = 1
  for (const t of tokens) {
    if (t.tokenType === PARAM) nextParam = Math.max(nextParam, Number(t.text.slice(1)) + 1)
  }
  const constants = tokens.filter(t => CONSTANT_TOKENS.has(t.tokenType))
  if (constants.length === 0) return sql
  // Token offsets are UTF-8 byte offsets.
  const bytes = Buffer.from(sql, 'utf8')
  const parts: string[] = []
  let at = 0
  for (const t of constants) {
    parts.push(bytes.toString('utf8', at, t.start), `$${nextParam++}`)
    at = t.end
  }
  parts.push(bytes.toString('utf8', at))
  return parts.join('')
}
