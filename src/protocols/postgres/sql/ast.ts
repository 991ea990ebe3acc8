/**
 * The JSON parse tree libpg-query returns. A node is `{ TypeName: body }` where the grammar allows
 * several node types; a field with one fixed type (UpdateStmt.relation, SelectStmt.larg) holds the
 * body bare.
 */
export type AstObject = { readonly [field: string]: unknown }

export function isAstObject (value: unknown): value is AstObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `{ SelectStmt: {...} }` -> ['SelectStmt', {...}]; undefined for a bare body or anything else. */
export function unwrapNode (value: unknown): [type: string, body: AstObject] | undefined {
  if (!isAstObject(value)) return undefined
  const keys = Object.keys(value)
  if (keys.length !== 1) return undefined
  const type = keys[0]
  const body = value[type]
  // Node type names are CamelCase (A_Const too); bare fields are lower case.
  if (!/^[A-Z]/.test(type) || !isAstObject(body)) return undefined
  return [type, body]
}

export function asArray (value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : []
}
