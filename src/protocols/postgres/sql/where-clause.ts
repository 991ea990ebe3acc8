/**
 * Whether an UPDATE/DELETE's WHERE restricts the rows it touches. `WHERE true`, `WHERE 1 = 1` and
 * other constant-true conditions do not, so they must not satisfy a rule against unrestricted
 * writes. Only constants are evaluated: anything naming a column, parameter or function is assumed
 * to restrict (`WHERE id = id` does: it skips NULL ids).
 */
import { asArray, unwrapNode, type AstObject } from './ast.js'

type Constant = number | string | boolean | null

/** False when `where` is absent or provably true for every row. */
export function whereRestricts (where: unknown): boolean {
  return where !== undefined && truthOf(where) !== true
}

/** true/false when the expression is a constant of that value, undefined when it depends on the row. */
function truthOf (node: unknown): boolean | undefined {
  const unwrapped = unwrapNode(node)
  if (unwrapped === undefined) return undefined
  const [type, body] = unwrapped
  switch (type) {
    case 'BoolExpr': {
      const args = asArray(body.args).map(truthOf)
      if (body.boolop === 'NOT_EXPR') return args[0] === undefined ? undefined : !args[0]
      if (body.boolop === 'OR_EXPR') return args.includes(true) ? true : args.every(a => a === false) ? false : undefined
      if (body.boolop === 'AND_EXPR') return args.includes(false) ? false : args.every(a => a === true) ? true : undefined
      return undefined
    }
    case 'A_Expr': return compare(body)
    case 'NullTest': {
      const value = constantOf(body.arg)
      if (value === undefined) return undefined
      return (value === null) === (body.nulltesttype === 'IS_NULL')
    }
    default: {
      const value = constantOf(node)
      return typeof value === 'boolean' ? value : undefined
    }
  }
}

function compare (expr: AstObject): boolean | undefined {
  const name = asArray(expr.name)
  const op = unwrapNode(name[0])
  if (expr.kind !== 'AEXPR_OP' || name.length !== 1 || op === undefined || op[0] !== 'String') return undefined
  const left = constantOf(expr.lexpr)
  const right = constantOf(expr.rexpr)
  // NULL compares to NULL (not true), and mixed types would need PostgreSQL's casts: undecided.
  if (left === undefined || right === undefined || left === null || right === null || typeof left !== typeof right) return undefined
  if (op[1].sval === '=') return left === right
  if (op[1].sval === '<>') return left !== right
  // String order depends on the collation: only numbers are ordered here.
  if (typeof left !== 'number' || typeof right !== 'number') return undefined
  switch (op[1].sval) {
    case '<': return left < right
    case '>': return left > right
    case '<=': return left <= right
    case '>=': return left >= right
    default: return undefined
  }
}

/** The value of a literal (also under a cast), undefined when the node is not one. */
function constantOf (node: unknown): Constant | undefined {
  const unwrapped = unwrapNode(node)
  if (unwrapped === undefined) return undefined
  const [type, body] = unwrapped
  if (type === 'TypeCast') return constantOf(body.arg)
  if (type !== 'A_Const') return undefined
  // The parse tree omits false and zero fields: `{ boolval: {} }` is false, `{ ival: {} }` is 0.
  if (body.isnull === true) return null
  const field = (name: string): AstObject | undefined => {
    const v = body[name]
    return typeof v === 'object' && v !== null ? v as AstObject : undefined
  }
  const ival = field('ival')
  if (ival !== undefined) return Number(ival.ival ?? 0)
  const fval = field('fval')
  if (fval !== undefined) return Number(fval.fval)
  const boolval = field('boolval')
  if (boolval !== undefined) return boolval.boolval === true
  const sval = field('sval')
  if (sval !== undefined) return String(sval.sval ?? '')
  return undefined
}
