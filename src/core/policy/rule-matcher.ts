import picomatch from 'picomatch'
import { RE2JS } from 're2js'
import type { SqlStatement } from '../events/index.js'
import type { EventView, TableKey } from './event-view.js'
import type { MatchSpec } from './rule-schema.js'

/** A compiled condition over one event. */
export type EventTest = (view: EventView) => boolean
type StatementTest = (view: EventView, statement: SqlStatement, index: number) => boolean

const GLOB = { nocase: true, dot: true } as const
// Model names and routes contain '/', which a plain glob star would not cross.
const PATH_GLOB = { ...GLOB, bash: true } as const

/**
 * One RE2 program matching where any of the (already validated) RE2 patterns matches. Inline flags
 * such as (?i) stay scoped to their own group. RE2JS costs mostly per scan, not per alternative.
 */
export function anyOf (re2Patterns: string[]): RE2JS {
  return RE2JS.compile(re2Patterns.map((p) => `(?:${p})`).join('|'))
}

/**
 * One case-insensitive RegExp for any of the globs. picomatch's own matcher function costs several
 * times a RegExp test per call, and decide() runs these for every rule and table.
 */
function globRegExp (patterns: string[], options: picomatch.PicomatchOptions): RegExp {
  const sources = patterns.map((p) => `(?:${picomatch.makeRe(p, options).source})`)
  return new RegExp(sources.join('|'), 'i')
}

/**
 * Compiles a rule's match block into one predicate. `permissive` is true for allow rules: where a
 * fact is unknown (SQL that did not parse, a missing model, no PII detector) a permissive rule
 * assumes the condition fails and every other rule assumes it holds, so unknown input can only
 * make gatehouse stricter. Multi-statement SQL: a permissive rule must hold for every statement,
 * any other rule for at least one.
 */
export function compileMatch (match: MatchSpec, permissive: boolean): EventTest {
  const tests: EventTest[] = []
  const { protocol, target, identity, sql, llm, prompt } = match

  if (protocol !== undefined) tests.push((v) => v.event.session.protocol === protocol)
  if (target !== undefined) {
    const targets = new Set(target)
    tests.push((v) => targets.has(v.event.session.target))
  }
  if (identity?.sub !== undefined) {
    const subs = new Set(identity.sub)
    tests.push((v) => subs.has(v.event.identity.sub))
  }
  if (identity?.groups !== undefined) {
    const groups = new Set(identity.groups)
    tests.push((v) => {
      const mine = v.event.identity.groups
      for (let i = 0; i < mine.length; i++) if (groups.has(mine[i])) return true
      return false
    })
  }
  if (identity?.email !== undefined) {
    const email = globRegExp(identity.email, GLOB)
    tests.push((v) => v.event.identity.email !== undefined && email.test(v.event.identity.email))
  }

  if (sql !== undefined) {
    const statementTest = compileStatementTest(sql, permissive)
    const { multipleStatements } = sql
    tests.push((v) => {
      const facts = v.event.sql
      if (facts === undefined) return false
      if (multipleStatements !== undefined && (facts.statements.length > 1) !== multipleStatements) return false
      if (statementTest === undefined) return true
      const all = facts.statements
      if (permissive) {
        for (let i = 0; i < all.length; i++) if (!statementTest(v, all[i], i)) return false
        return true
      }
      for (let i = 0; i < all.length; i++) if (statementTest(v, all[i], i)) return true
      return false
    })
  }

  if (llm !== undefined || prompt !== undefined) tests.push((v) => v.event.llm !== undefined)
  if (llm?.model !== undefined) {
    const model = globRegExp(llm.model, PATH_GLOB)
    tests.push((v) => {
      const name = v.event.llm?.model
      return name === undefined ? !permissive : model.test(name)
    })
  }
  if (llm?.route !== undefined) {
    const route = globRegExp(llm.route, PATH_GLOB)
    tests.push((v) => v.event.llm !== undefined && route.test(v.event.llm.route))
  }
  if (prompt?.patterns !== undefined) {
    // One scan per text for all of the rule's patterns, and none at all when the set-wide filter
    // (every prompt pattern of every rule) already found nothing in this event.
    const any = anyOf(prompt.patterns.map((p) => p.pattern()))
    tests.push((v) => v.promptMayMatch() && (v.event.llm?.text ?? []).some((text) => any.test(text)))
  }
  if (prompt?.entities !== undefined) {
    const wanted = prompt.entities
    tests.push((v) => {
      const found = v.entities()
      return found === undefined ? !permissive : wanted.some((e) => found.has(e))
    })
  }

  if (tests.length === 0) return () => true
  if (tests.length === 1) return tests[0]
  return (v) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](v)) return false
    return true
  }
}

/**
 * The per-statement part of match.sql (operations, tables, without_where), or undefined when it has
 * none. Operations and without_where are checked on the statement and on every data-modifying
 * statement nested in it (`WITH d AS (DELETE ...) SELECT ...`), so a CTE cannot hide a write; tables
 * are the statement's own list, which already includes the nested statements' tables.
 */
function compileStatementTest (sql: NonNullable<MatchSpec['sql']>, permissive: boolean): StatementTest | undefined {
  const { operations, tables, withoutWhere } = sql
  if (operations === undefined && tables === undefined && withoutWhere === undefined) return undefined
  const ops = operations === undefined ? undefined : new Set(operations)
  const tableTest = tables === undefined ? undefined : compileTablePatterns(tables)
  const unknownHolds = !permissive

  const partTest = (part: SqlStatement): boolean => {
    const unknown = part.operation === 'unknown'
    if (ops !== undefined && !ops.has(part.operation) && !(unknown && unknownHolds)) return false
    if (withoutWhere !== undefined) {
      const isWrite = part.operation === 'update' || part.operation === 'delete'
      if (unknown || (isWrite && part.hasWhere === undefined)) return unknownHolds
      if ((isWrite && part.hasWhere === false) !== withoutWhere) return false
    }
    return true
  }
  const checksParts = ops !== undefined || withoutWhere !== undefined
  const partsHold = (statement: SqlStatement): boolean => {
    const holds = partTest(statement)
    const nested = statement.nested
    if (nested === undefined || nested.length === 0) return holds
    // Permissive: the statement and everything nested in it must pass. Otherwise: any one of them.
    return permissive ? holds && nested.every(partsHold) : holds || nested.some(partsHold)
  }

  return (v, statement, index) => {
    if (checksParts && !partsHold(statement)) return false
    if (tableTest === undefined) return true
    if (statement.operation === 'unknown') return unknownHolds
    const keys = v.tablesOf(index, statement)
    // Permissive: every table the statement touches must be listed. Otherwise: any one listed table.
    return permissive ? keys.every(tableTest) : keys.some(tableTest)
  }
}

/** `customers` matches that name in any schema; `public.customers` and `audit.*` match schema-qualified. */
function compileTablePatterns (patterns: string[]): (key: TableKey) => boolean {
  const bare = patterns.filter((p) => !p.includes('.'))
  const qualified = patterns.filter((p) => p.includes('.'))
  const byName = bare.length === 0 ? undefined : globRegExp(bare, GLOB)
  const byQualified = qualified.length === 0 ? undefined : globRegExp(qualified, GLOB)
  return (key) => (byName !== undefined && byName.test(key.name)) || (byQualified !== undefined && byQualified.test(key.qualified))
}
