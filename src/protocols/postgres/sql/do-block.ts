/**
 * The SQL a DO block runs, read from its PL/pgSQL body: each embedded statement, and each
 * expression as `SELECT <expr>` (expressions can hold subqueries). Dynamic SQL (`EXECUTE '...'`)
 * and what called functions do stay invisible.
 * @see https://www.postgresql.org/docs/current/sql-do.html
 */
import { parsePlPgSQLSync, scanSync } from 'libpg-query'
import { asArray, isAstObject, unwrapNode, type AstObject } from './ast.js'

// PLpgSQL_expr.parseMode values (PostgreSQL's RawParseMode).
const PARSE_MODE_DEFAULT = 0 // a whole statement
const PARSE_MODE_EXPR = 2 // an expression
const PARSE_MODE_ASSIGN_FIRST = 3 // `target := expr`, modes 3 to 5 by the depth of the target
const PARSE_MODE_ASSIGN_LAST = 5
// Scanner token numbers from gram.y: ':=' and '=' (a single character's token is its code).
const COLON_EQUALS = 270
const EQUALS = 61

/** SQL texts the body of a DO statement runs; [] when it is not PL/pgSQL or does not parse. */
export function doBlockSql (doStmt: AstObject): string[] {
  let code: string | undefined
  let language = 'plpgsql'
  for (const arg of asArray(doStmt.args)) {
    const def = unwrapNode(arg)
    if (def === undefined || def[0] !== 'DefElem') continue
    const value = unwrapNode(def[1].arg)
    if (value === undefined || value[0] !== 'String') continue
    if (def[1].defname === 'as') code = String(value[1].sval)
    if (def[1].defname === 'language') language = String(value[1].sval).toLowerCase()
  }
  if (code === undefined || language !== 'plpgsql') return []
  // The PL/pgSQL parser reads function definitions: wrap the body in one, quoted with a tag it does not contain.
  let tag = '$gh$'
  for (let i = 1; code.includes(tag); i++) tag = `$gh${i}$`
  let tree: unknown
  try {
    tree = parsePlPgSQLSync(`CREATE FUNCTION gatehouse_do_block() RETURNS void LANGUAGE plpgsql AS ${tag}${code}${tag}`)
  } catch {
    return []
  }
  const texts: string[] = []
  collectSql(tree, texts)
  return texts
}

function collectSql (node: unknown, texts: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collectSql(item, texts)
    return
  }
  if (!isAstObject(node)) return
  const expr = node.PLpgSQL_expr
  if (isAstObject(expr) && typeof expr.query === 'string') {
    const text = sqlOf(expr.query, Number(expr.parseMode ?? PARSE_MODE_DEFAULT))
    if (text !== undefined) texts.push(text)
    return
  }
  for (const value of Object.values(node)) collectSql(value, texts)
}

function sqlOf (query: string, parseMode: number): string | undefined {
  if (parseMode === PARSE_MODE_DEFAULT) return query
  if (parseMode === PARSE_MODE_EXPR) return `SELECT ${query}`
  if (parseMode >= PARSE_MODE_ASSIGN_FIRST && parseMode <= PARSE_MODE_ASSIGN_LAST) {
    try {
      const assign = scanSync(query).tokens.find(t => t.tokenType === COLON_EQUALS || t.tokenType === EQUALS)
      // Token offsets are UTF-8 byte offsets.
      return assign === undefined ? undefined : `SELECT ${Buffer.from(query, 'utf8').toString('utf8', assign.end)}`
    } catch {
      return undefined
    }
  }
  return undefined
}
