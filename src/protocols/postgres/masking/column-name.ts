/** A column as the catalog names it. */
export interface ColumnName { schema: string; table: string; column: string }

/**
 * A result column resolved against the catalog. `sources` are the base columns it carries: for a view
 * column, the column it selects (followed through nested views); for a view column computed from an
 * expression, every column the view reads (the catalog records dependencies per view, not per column).
 * Empty for a table column.
 */
export interface ResolvedColumn extends ColumnName {
  /** pg_type.typcategory of the column's type ('S' for string types such as citext). */
  typeCategory: string
  sources: ColumnName[]
}

export const qualifiedName = (c: ColumnName): string => `${c.schema}.${c.table}.${c.column}`
