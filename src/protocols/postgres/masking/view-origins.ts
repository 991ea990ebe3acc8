/**
 * Which base column each column of a view selects, read from the view's stored query tree
 * (pg_rewrite.ev_action::text). The parser records, on every target entry of a query, the table and
 * column a plain column reference comes from (resorigtbl/resorigcol, followed through subqueries and
 * CTEs); expressions have none. Only the view's top-level target list says what its columns are.
 * @see https://www.postgresql.org/docs/current/catalog-pg-rewrite.html
 * @see https://github.com/postgres/postgres/blob/master/src/backend/nodes/outfuncs.c (the text format)
 */
export interface ViewColumnOrigin { table: number; column: number }

const BACKSLASH = 0x5c
const OPEN_NODE = 0x7b // '{'
const CLOSE_NODE = 0x7d // '}'
const OPEN_LIST = 0x28 // '('
const CLOSE_LIST = 0x29 // ')'

/** Index just past the bracket that closes the one opened at `open`; tokens escape brackets with '\'. */
function skipGroup (tree: string, open: number): number {
  let depth = 0
  for (let i = open; i < tree.length; i++) {
    const c = tree.charCodeAt(i)
    if (c === BACKSLASH) i++
    else if (c === OPEN_NODE || c === OPEN_LIST) depth++
    else if (c === CLOSE_NODE || c === CLOSE_LIST) {
      if (--depth === 0) return i + 1
    }
  }
  return tree.length
}

/** The value of `:field` among the direct fields of the node spanning [start, end) (nested nodes skipped). */
function directField (tree: string, start: number, end: number, field: string): string | undefined {
  const key = `:${field} `
  let i = start + 1
  while (i < end) {
    const c = tree.charCodeAt(i)
    if (c === BACKSLASH) {
      i += 2
    } else if (c === OPEN_NODE || c === OPEN_LIST) {
      i = skipGroup(tree, i)
    } else if (tree.startsWith(key, i)) {
      const from = i + key.length
      let to = from
      while (to < end && !/[\s)}]/.test(tree[to])) to++
      if (tree.charCodeAt(from) === OPEN_NODE || tree.charCodeAt(from) === OPEN_LIST) return tree.slice(from, skipGroup(tree, from))
      return tree.slice(from, to)
    } else {
      i++
    }
  }
  return undefined
}

/**
 * Origins by view attribute number (a target entry's resno), only for columns that are plain column
 * references. Undefined when the tree is not the shape expected (the caller then treats every column
 * as derived).
 */
export function viewColumnOrigins (evAction: string): Map<number, ViewColumnOrigin> | undefined {
  const queryStart = evAction.indexOf('{QUERY')
  if (queryStart === -1) return undefined
  const queryEnd = skipGroup(evAction, queryStart)
  const targetList = directField(evAction, queryStart, queryEnd, 'targetList')
  if (targetList === undefined || !targetList.startsWith('(')) return undefined
  const origins = new Map<number, ViewColumnOrigin>()
  let i = 1
  while (i < targetList.length) {
    if (targetList.charCodeAt(i) !== OPEN_NODE) {
      i++
      continue
    }
    const end = skipGroup(targetList, i)
    const resno = Number(directField(targetList, i, end, 'resno'))
    const table = Number(directField(targetList, i, end, 'resorigtbl'))
    const column = Number(directField(targetList, i, end, 'resorigcol'))
    const isJunk = directField(targetList, i, end, 'resjunk') === 'true'
    if (!isJunk && Number.isInteger(resno) && table > 0 && column > 0) origins.set(resno, { table, column })
    i = end
  }
  return origins
}
