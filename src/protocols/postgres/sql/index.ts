/**
 * SQL analysis for policy and audit: what each statement of a Query does (operation, tables read
 * and written, WHERE on UPDATE/DELETE) and its text with literals stripped. Parsing is PostgreSQL's
 * own grammar (libpg-query, PG 18). Anything that does not parse is `unknown`: rules fail closed.
 * Rules and the operation list: src/protocols/postgres/sql/README.md.
 */
import assert from 'node:assert'
import { loadModule, parseSync } from 'libpg-query'
import { LRUCache } from 'lru-cache'
import type { SqlFacts, SqlStatement } from '../../../core/events/index.js'
import { asArray, isAstObject } from './ast.js'
import { normalizeLiterals, plannerNormalized } from './normalize.js'
import { statementFacts } from './statement-facts.js'

export { SQL_OPERATIONS, type SqlOperation } from './operations.js'

export const DEFAULT_SQL_CACHE_ENTRIES = 5000
/** Total length of the SQL texts held in the cache. */
export const DEFAULT_SQL_CACHE_CHARS = 8 * 1024 * 1024
/** Longer texts (bulk INSERTs) are analyzed every time rather than evicting the whole cache. */
export const MAX_CACHED_SQL_CHARS = 64 * 1024

export interface SqlAnalyzerOptions {
  /** Most SQL texts whose analysis is kept; 0 disables the cache. */
  cacheSize?: number
  /** Most total characters of SQL text kept in the cache. */
  cacheChars?: number
}

/** `shapeHits`: misses answered without a parse, from a text that differed only in literals. */
export interface SqlCacheStats { entries: number; chars: number; hits: number; misses: number; shapeHits: number }

export interface SqlAnalyzer {
  /** Every statement of `text`. Never throws; the result is frozen and may be shared between calls. */
  analyze (text: string): SqlFacts
  /** `text` with literals replaced by `$n`, for audit; a placeholder naming only the length when it does not parse. */
  normalize (text: string): string
  cacheStats (): SqlCacheStats
}

interface Analysis {
  readonly facts: SqlFacts
  readonly isParsed: boolean
  normalized?: string
  /** plannerNormalized(text), when it was computed. */
  shape?: string
}

/**
 * Operations whose facts never depend on a literal's value: no WHERE analysis (a constant-true WHERE
 * counts as none), no options read from literals (EXPLAIN), no statements inside (DO bodies, CTEs).
 * Texts of only these that differ only in literals have the same facts, so they share one parse.
 * statement-facts.ts must keep it so: a literal that changes what a select or insert reports
 * would let one text's facts stand for another's.
 */
const LITERAL_BLIND_OPERATIONS = new Set(['select', 'insert'])

function isLiteralBlind (statements: readonly SqlStatement[]): boolean {
  return statements.length > 0 && statements.every(s => LITERAL_BLIND_OPERATIONS.has(s.operation) && s.nested === undefined && s.hasWhere === undefined)
}

/** Loads the parser (once per process) and returns an analyzer with its own cache. */
export async function createSqlAnalyzer (opts: SqlAnalyzerOptions = {}): Promise<SqlAnalyzer> {
  await loadModule()
  return new CachedSqlAnalyzer(opts)
}

class CachedSqlAnalyzer implements SqlAnalyzer {
  /** Undefined when disabled. lru-cache, not a Map re-inserted per hit: that costs ~13 µs per hit on a full 5000-entry Map. */
  readonly #cache: LRUCache<string, Analysis> | undefined
  /** Statements of literal-blind texts by their planner-normalized text (a new literal each time: pgbench -S, ORMs that inline values). */
  readonly #shapes: LRUCache<string, SqlStatement[]> | undefined
  #hits = 0
  #misses = 0
  #shapeHits = 0

  constructor (opts: SqlAnalyzerOptions) {
    const maxEntries = opts.cacheSize ?? DEFAULT_SQL_CACHE_ENTRIES
    const maxChars = opts.cacheChars ?? DEFAULT_SQL_CACHE_CHARS
    assert(Number.isInteger(maxEntries) && maxEntries >= 0, 'cacheSize must be an integer >= 0')
    assert(Number.isInteger(maxChars) && maxChars >= 0, 'cacheChars must be an integer >= 0')
    if (maxEntries === 0 || maxChars === 0) return
    // Each entry weighs its text's length (what its analysis is proportional to); '' weighs 1.
    this.#cache = new LRUCache({ max: maxEntries, maxSize: maxChars, sizeCalculation: (_analysis, text) => Math.max(1, text.length) })
    this.#shapes = new LRUCache({ max: maxEntries, maxSize: maxChars, sizeCalculation: (_statements, shape) => Math.max(1, shape.length) })
  }

  analyze (text: string): SqlFacts {
    return this.#analysis(text).facts
  }

  normalize (text: string): string {
    const analysis = this.#analysis(text)
    if (!analysis.isParsed) return `<unparseable sql, ${typeof text === 'string' ? text.length : 0} chars>`
    analysis.normalized ??= text === '' ? '' : normalizeLiterals(text, analysis.shape) ?? `<sql not normalized, ${text.length} chars>`
    return analysis.normalized
  }

  cacheStats (): SqlCacheStats {
    return { entries: this.#cache?.size ?? 0, chars: this.#cache?.calculatedSize ?? 0, hits: this.#hits, misses: this.#misses, shapeHits: this.#shapeHits }
  }

  #analysis (text: string): Analysis {
    const cached = this.#cache?.get(text)
    if (cached !== undefined) {
      this.#hits++
      return cached
    }
    this.#misses++
    const analysis = this.#analyzeNew(text)
    if (typeof text === 'string' && text.length <= MAX_CACHED_SQL_CHARS) this.#cache?.set(text, analysis)
    return analysis
  }

  #analyzeNew (text: string): Analysis {
    // The NUL check of analyzeText comes first: the parser would not see what follows one.
    if (this.#shapes === undefined || typeof text !== 'string' || text.length > MAX_CACHED_SQL_CHARS || text.includes('\0')) return analyzeText(text)
    // Normalizing costs about a third of a parse, and audit needs it anyway (normalize() reuses it).
    const shape = plannerNormalized(text)
    if (shape === undefined) return analyzeText(text)
    const statements = this.#shapes.get(shape)
    if (statements !== undefined) {
      this.#shapeHits++
      return { facts: Object.freeze({ text, statements }), isParsed: true, shape }
    }
    const analysis: Analysis = { ...analyzeText(text), shape }
    if (analysis.isParsed && isLiteralBlind(analysis.facts.statements)) this.#shapes.set(shape, analysis.facts.statements)
    return analysis
  }
}

function analyzeText (text: string): Analysis {
  if (typeof text !== 'string') return unparsed('')
  if (text === '') return { facts: freezeFacts(text, []), isParsed: true }
  // The parser reads a C string: text after a NUL would be invisible to it but not to the server.
  if (text.includes('\0')) return unparsed(text)
  let tree: unknown
  try {
    tree = parseSync(text)
  } catch {
    return unparsed(text)
  }
  let statements: SqlStatement[]
  try {
    statements = asArray(isAstObject(tree) ? tree.stmts : undefined)
      .map(raw => statementFacts(isAstObject(raw) ? raw.stmt : undefined))
  } catch {
    // A tree too deep to walk: the statement parsed, so it can still be normalized.
    statements = [{ operation: 'unknown', tables: [] }]
  }
  return { facts: freezeFacts(text, statements), isParsed: true }
}

function unparsed (text: string): Analysis {
  return { facts: freezeFacts(text, [{ operation: 'unknown', tables: [] }]), isParsed: false }
}

function freezeFacts (text: string, statements: SqlStatement[]): SqlFacts {
  for (const s of statements) freezeStatement(s)
  return Object.freeze({ text, statements: Object.freeze(statements) as SqlStatement[] })
}

function freezeStatement (s: SqlStatement): void {
  for (const t of s.tables) Object.freeze(t)
  Object.freeze(s.tables)
  if (s.nested) {
    for (const n of s.nested) freezeStatement(n)
    Object.freeze(s.nested)
  }
  Object.freeze(s)
}
