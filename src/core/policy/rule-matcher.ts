import picomatch from 'picomatch'
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
    tests.push((v) => v.event.identity.groups.some((g) => groups.has(g)))
  }
  if (identity?.email !== undefined) {
    const email = picomatch(identity.email, GLOB)
    tests.push((v) => v.event.identity.email !== undefined && email(v.event.identity.email))
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
    const model = picomatch(llm.model, PATH_GLOB)
    tests.push((v) => {
      const name = v.event.llm?.model
      return name === undefined ? !permissive : model(name)
    })
  }
  if (llm?.route !== undefined) {
    const route = picomatch(llm.route, PATH_GLOB)
    tests.push((v) => v.event.llm !== undefined && route(v.event.llm.route))
  }
  if (prompt?.patterns !== undefined) {
    const patterns = prompt.patterns
    tests.push((v) => (v.event.llm?.text ?? []).some((text) => patterns.some((p) => p.test(text))))
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
    for (const test of tests) if (!test(v)) return false
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
  const byName = bare.length === 0 ? undefined : picomatch(bare, GLOB)
  const byQualified = qualified.length === 0 ? undefined : picomatch(qualified, GLOB)
  return (key) => (byName !== undefined && byName(key.name)) || (byQualified !== undefined && byQualified(key.qualified))
}
