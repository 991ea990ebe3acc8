/**
 * What one parsed statement does: its operation, the tables it reads and writes, whether an
 * UPDATE/DELETE has a WHERE, and the statements it runs inside itself (`nested`).
 *
 * Rules (src/protocols/postgres/sql/README.md has the full table):
 * - Every RangeVar is a table, except an unqualified name that refers to a CTE in scope.
 * - Queries read. The target of INSERT/UPDATE/DELETE/MERGE, COPY ... FROM, SELECT INTO and
 *   CREATE TABLE AS is written. In schema, privilege and maintenance statements every named
 *   relation is written except what they only read: their queries, the table a foreign key
 *   references, and the source of LIKE.
 * - A data-modifying statement inside another (WITH d AS (DELETE ...) SELECT ...) writes its target
 *   and is also listed in `nested`, so a rule on `delete` sees it.
 * - hasWhere (UPDATE/DELETE) is false without a WHERE and with a constant-true one (WHERE 1 = 1).
 * - A DO block's PL/pgSQL body is read: its static statements are nested statements of the DO.
 * - EXPLAIN ANALYZE, PREPARE and DECLARE CURSOR report the statement they wrap; plain EXPLAIN runs
 *   nothing and reports `explain` with the wrapped statement's tables as reads.
 * - Kinds the classifier does not know are `unknown` with every named relation as a write.
 */
import { parseSync } from 'libpg-query'
import type { SqlStatement, SqlTable } from '../../../core/events/index.js'
import { asArray, isAstObject, unwrapNode, type AstObject } from './ast.js'
import { doBlockSql } from './do-block.js'
import { classifyStatement, writesNamedRelations, type SqlOperation } from './operations.js'
import { whereRestricts } from './where-clause.js'

type Access = SqlTable['access']

/** LockStmt.mode for ACCESS SHARE, the only lock mode that needs no more than SELECT. */
const ACCESS_SHARE_LOCK = 1

const DML_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'])

// Object types of DROP / COMMENT / SECURITY LABEL whose name list is a relation name ...
const RELATION_OBJECTS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE', 'OBJECT_SEQUENCE'])
// ... or a relation name followed by one more name (DROP TRIGGER tr ON t, COMMENT ON COLUMN t.c).
const ON_RELATION_OBJECTS = new Set(['OBJECT_TRIGGER', 'OBJECT_RULE', 'OBJECT_POLICY', 'OBJECT_TABCONSTRAINT', 'OBJECT_COLUMN'])

/** Tables (deduplicated per access) and nested statements (flattened), in the order met. */
class Found {
  readonly tables: SqlTable[] = []
  readonly nested: SqlStatement[] = []
  readonly #keys = new Set<string>()

  addTable (schema: string | undefined, name: string, access: Access): void {
    const key = `${access}\0${schema ?? ''}\0${name}`
    if (this.#keys.has(key)) return
    this.#keys.add(key)
    this.tables.push(schema === undefined ? { name, access } : { schema, name, access })
  }

  addNested (statement: SqlStatement): void {
    for (const t of statement.tables) this.addTable(t.schema, t.name, t.access)
    const { nested, ...own } = statement
    this.nested.push(own, ...(nested ?? []))
  }

  statement (operation: SqlOperation, hasWhere?: boolean): SqlStatement {
    const statement: SqlStatement = { operation, tables: this.tables }
    if (hasWhere !== undefined) statement.hasWhere = hasWhere
    if (this.nested.length > 0) statement.nested = this.nested
    return statement
  }
}

interface Walk {
  /** CTE names visible here: an unqualified reference to one is not a table. */
  readonly ctes: ReadonlySet<string>
  /** What a relation named here is, unless the node says otherwise. */
  readonly access: Access
  readonly found: Found
}

const NO_CTES: ReadonlySet<string> = new Set()

/** Facts of one top-level statement node (`RawStmt.stmt`). Throws RangeError on a tree too deep to walk. */
export function statementFacts (node: unknown): SqlStatement {
  const unwrapped = unwrapNode(node)
  if (unwrapped === undefined) return { operation: 'unknown', tables: [] }
  const [type, body] = unwrapped
  switch (type) {
    case 'ExplainStmt': return explainFacts(body)
    case 'PrepareStmt':
    case 'DeclareCursorStmt': return statementFacts(body.query)
  }
  if (DML_NODES.has(type)) return dmlFacts(type, body, NO_CTES)

  const operation = classifyStatement(type, body)
  const found = new Found()
  const w: Walk = { ctes: NO_CTES, access: namedRelationAccess(operation, body), found }
  switch (type) {
    case 'SelectStmt': visitSelect(body, w); break
    case 'CopyStmt': visitCopy(body, w); break
    case 'DoStmt': visitDoBlock(body, w); break
    default:
      walkFields(body, w)
      addNamedObjects(type, body, w)
  }
  return found.statement(operation)
}

function namedRelationAccess (operation: SqlOperation, body: AstObject): Access {
  if (operation === 'lock') return body.mode === ACCESS_SHARE_LOCK ? 'read' : 'write'
  return operation === 'unknown' || writesNamedRelations(operation) ? 'write' : 'read'
}

function explainFacts (body: AstObject): SqlStatement {
  const explained = statementFacts(body.query)
  if (explainRuns(body.options)) return explained
  const found = new Found()
  for (const t of explained.tables) found.addTable(t.schema, t.name, 'read')
  return found.statement('explain')
}

/** Whether EXPLAIN's options include ANALYZE (which executes the statement). */
function explainRuns (options: unknown): boolean {
  for (const option of asArray(options)) {
    const def = unwrapNode(option)
    if (def === undefined || def[0] !== 'DefElem' || def[1].defname !== 'analyze') continue
    return defElemIsTrue(def[1].arg)
  }
  return false
}

/**
 * A boolean option's value as PostgreSQL's defGetBoolean reads it. The tree omits false/0 fields,
 * so `{ Boolean: {} }` is false. A value PostgreSQL would reject counts as true, the cautious side.
 * @see https://www.postgresql.org/docs/current/sql-explain.html
 */
function defElemIsTrue (arg: unknown): boolean {
  const value = unwrapNode(arg)
  if (value === undefined) return true
  const [type, body] = value
  if (type === 'Boolean') return body.boolval === true
  if (type === 'Integer') return body.ival !== undefined && body.ival !== 0
  if (type === 'String') return !['false', 'off', 'no', '0'].includes(String(body.sval).toLowerCase())
  return true
}

function dmlFacts (type: string, body: AstObject, ctes: ReadonlySet<string>): SqlStatement {
  const found = new Found()
  const w = withCtes(body, { ctes, access: 'read', found })
  // The target of INSERT/UPDATE/DELETE/MERGE is always a table, never a CTE of the same name.
  addRangeVar(body.relation, 'write', w, false)
  for (const [field, value] of Object.entries(body)) {
    if (field !== 'withClause' && field !== 'relation') walk(value, w)
  }
  const operation = classifyStatement(type, body)
  const hasWhere = type === 'UpdateStmt' || type === 'DeleteStmt' ? whereRestricts(body.whereClause) : undefined
  return found.statement(operation, hasWhere)
}

function visitSelect (body: AstObject, outer: Walk): void {
  const w = withCtes(body, { ...outer, access: 'read' })
  // SELECT INTO creates the table; its CTEs do not shadow the new name.
  if (isAstObject(body.intoClause)) addRangeVar(body.intoClause.rel, 'write', w, false)
  for (const [field, value] of Object.entries(body)) {
    if (field === 'withClause' || field === 'intoClause') continue
    // The arms of UNION/INTERSECT/EXCEPT are bare SelectStmt bodies that may carry their own WITH.
    if ((field === 'larg' || field === 'rarg') && isAstObject(value)) visitSelect(value, w)
    else walk(value, w)
  }
}

/** A DO block's static statements are nested statements of the DO. */
function visitDoBlock (body: AstObject, w: Walk): void {
  for (const text of doBlockSql(body)) {
    let tree: unknown
    try {
      tree = parseSync(text)
    } catch {
      continue
    }
    for (const raw of asArray(isAstObject(tree) ? tree.stmts : undefined)) {
      const statement = statementFacts(isAstObject(raw) ? raw.stmt : undefined)
      // `v := 1` or `RAISE NOTICE '%', x` is a SELECT of nothing: not worth a nested statement.
      if (statement.operation !== 'select' || statement.tables.length > 0) w.found.addNested(statement)
    }
  }
}

function visitCopy (body: AstObject, w: Walk): void {
  addRangeVar(body.relation, body.is_from === true ? 'write' : 'read', w, false)
  for (const [field, value] of Object.entries(body)) {
    if (field !== 'relation') walk(value, w)
  }
}

/**
 * Walks the CTE bodies of `body.withClause` and returns the walk for the rest of the statement,
 * with the CTE names in scope. Without RECURSIVE a CTE sees only the CTEs before it.
 * @see https://www.postgresql.org/docs/current/queries-with.html
 */
function withCtes (body: AstObject, w: Walk): Walk {
  const withClause = body.withClause
  if (!isAstObject(withClause)) return w
  const ctes = asArray(withClause.ctes).flatMap(node => {
    const cte = unwrapNode(node)
    return cte !== undefined && cte[0] === 'CommonTableExpr' ? [cte[1]] : []
  })
  const names = new Set(w.ctes)
  const isRecursive = withClause.recursive === true
  if (isRecursive) for (const cte of ctes) names.add(String(cte.ctename))
  for (const cte of ctes) {
    walk(cte.ctequery, { ctes: new Set(names), access: 'read', found: w.found })
    if (!isRecursive) names.add(String(cte.ctename))
  }
  return { ...w, ctes: names }
}

function walk (node: unknown, w: Walk): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, w)
    return
  }
  if (!isAstObject(node)) return
  const unwrapped = unwrapNode(node)
  if (unwrapped !== undefined) {
    visitNode(unwrapped[0], unwrapped[1], w)
    return
  }
  // A bare RangeVar in a fixed-type field (IndexStmt.relation, ViewStmt.view, IntoClause.rel, ...).
  if (typeof node.relname === 'string') {
    addRangeVar(node, w.access, w, true)
    return
  }
  walkFields(node, w)
}

function visitNode (type: string, body: AstObject, w: Walk): void {
  if (type === 'RangeVar') addRangeVar(body, w.access, w, true)
  else if (type === 'SelectStmt') visitSelect(body, w)
  else if (DML_NODES.has(type)) w.found.addNested(dmlFacts(type, body, w.ctes))
  // A foreign key's referenced table and LIKE's source are only read by the DDL naming them.
  else if (type === 'Constraint' || type === 'TableLikeClause') walkFields(body, { ...w, access: 'read' })
  // FOR UPDATE OF names FROM items, often by alias: they are already counted where they appear.
  else if (type !== 'LockingClause') walkFields(body, w)
}

function walkFields (body: AstObject, w: Walk): void {
  for (const [field, value] of Object.entries(body)) {
    // CompositeTypeStmt.typevar names a type, not a table.
    if (field !== 'typevar') walk(value, w)
  }
}

function addRangeVar (node: unknown, access: Access, w: Walk, mayBeCte: boolean): void {
  if (!isAstObject(node) || typeof node.relname !== 'string') return
  const schema = typeof node.schemaname === 'string' ? node.schemaname : undefined
  if (mayBeCte && schema === undefined && w.ctes.has(node.relname)) return
  w.found.addTable(schema, node.relname, access)
}

/** DROP / COMMENT ON / SECURITY LABEL name relations as lists of strings, not RangeVars. */
function addNamedObjects (type: string, body: AstObject, w: Walk): void {
  let objectType: unknown
  let objects: readonly unknown[]
  if (type === 'DropStmt') {
    objectType = body.removeType
    objects = asArray(body.objects)
  } else if (type === 'CommentStmt' || type === 'SecLabelStmt') {
    objectType = body.objtype
    objects = [body.object]
  } else {
    return
  }
  const isRelation = RELATION_OBJECTS.has(String(objectType))
  if (!isRelation && !ON_RELATION_OBJECTS.has(String(objectType))) return
  for (const object of objects) {
    const list = unwrapNode(object)
    if (list === undefined || list[0] !== 'List') continue
    const names = asArray(list[1].items).map(item => {
      const s = unwrapNode(item)
      return s !== undefined && s[0] === 'String' ? String(s[1].sval) : ''
    })
    const relation = isRelation ? names : names.slice(0, -1)
    const name = relation.at(-1)
    if (name) w.found.addTable(relation.length >= 2 ? relation.at(-2) : undefined, name, w.access)
  }
}
