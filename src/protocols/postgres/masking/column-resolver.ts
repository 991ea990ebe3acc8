import type { FieldDescription } from '../messages/row-description.js'
import type { ColumnName, ResolvedColumn } from './column-name.js'
import { viewColumnOrigins } from './view-origins.js'

/** Runs one catalog query on the target (the relay's side connection); rows as objects by column name. */
export type CatalogQuery = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>

export interface ColumnResolverOptions {
  query: CatalogQuery
  /**
   * How long a relation's columns are trusted. invalidate() (after DDL through gatehouse) is what keeps
   * the cache right; this bounds how long DDL made around gatehouse goes unseen.
   */
  maxAgeMs?: number
  now?: () => number
}

export const DEFAULT_CATALOG_MAX_AGE_MS = 60_000
/** Views over views and partitions of partitions are followed this deep; beyond it, sources are cut short. */
const MAX_RELATION_DEPTH = 16

interface Relation {
  schema: string
  name: string
  columns: Map<number, { name: string; typeCategory: string }>
  /** Per column, the base columns it carries: for views, what it selects; for partitions and inheritance
   *  children, the parent's column of the same name. */
  sources?: Map<number, ColumnName[]>
  loadedAt: number
}

/** pg_class.relkind of relations defined by a query. */
const VIEW_KINDS = new Set(['v', 'm'])

const RELATIONS_SQL = `select c.oid::int8 as oid, n.nspname, c.relname, c.relkind, a.attnum, a.attname, t.typcategory,
  (select r.ev_action::text from pg_rewrite r where r.ev_class = c.oid and r.rulename = '_RETURN') as ev_action,
  (select string_agg(i.inhparent::text, ',') from pg_inherits i where i.inhrelid = c.oid) as parents
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_type t on t.oid = a.atttypid
where c.oid = any($1::oid[])`

/** Base columns a view's query reads: pg_depend entries of its _RETURN rule. */
const VIEW_DEPENDENCIES_SQL = `select r.ev_class::int8 as view, d.refobjid::int8 as oid, d.refobjsubid as attnum
from pg_rewrite r
join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
where r.ev_class = any($1::oid[]) and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0 and d.refobjid <> r.ev_class`

const RELATION_BY_NAME_SQL = `select c.oid::int8 as oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relname = $1 and (n.nspname = $2 or ($2 is null and pg_table_is_visible(c.oid)))`

interface RawRelation {
  schema: string
  name: string
  kind: string
  evAction: string | null
  /** Partitioned or inheritance parents (pg_inherits): a rule on a parent covers its children. */
  parents: number[]
  columns: Map<number, { name: string; typeCategory: string }>
}

/**
 * Resolves RowDescription fields (table OID + attribute number) to schema.table.column through the
 * target's catalog, cached per relation OID. One resolver per target, shared by its sessions.
 * @see https://www.postgresql.org/docs/current/catalog-pg-attribute.html
 */
export class ColumnResolver {
  readonly #query: CatalogQuery
  readonly #maxAgeMs: number
  readonly #now: () => number
  #relations = new Map<number, Relation>()

  constructor (opts: ColumnResolverOptions) {
    this.#query = opts.query
    this.#maxAgeMs = opts.maxAgeMs ?? DEFAULT_CATALOG_MAX_AGE_MS
    this.#now = opts.now ?? Date.now
  }

  /** Forget everything (call after a DDL statement completed). */
  invalidate (): void {
    this.#relations = new Map()
  }

  #fresh (oid: number): Relation | undefined {
    const r = this.#relations.get(oid)
    return r !== undefined && this.#now() - r.loadedAt <= this.#maxAgeMs ? r : undefined
  }

  #column (oid: number, attnum: number): ResolvedColumn | undefined {
    const r = this.#fresh(oid)
    const c = r?.columns.get(attnum)
    if (r === undefined || c === undefined) return undefined
    return { schema: r.schema, table: r.name, column: c.name, typeCategory: c.typeCategory, sources: r.sources?.get(attnum) ?? [] }
  }

  /** Fields resolved from the cache alone, or undefined when a catalog lookup is needed (call resolve()). */
  cached (fields: readonly FieldDescription[]): Array<ResolvedColumn | undefined> | undefined {
    for (const f of fields) if (f.tableOid !== 0 && this.#fresh(f.tableOid) === undefined) return undefined
    return fields.map((f) => (f.tableOid === 0 ? undefined : this.#column(f.tableOid, f.attnum)))
  }

  /** Fields resolved, looking up relations not cached. Expressions (table OID 0) resolve to undefined. */
  async resolve (fields: readonly FieldDescription[]): Promise<Array<ResolvedColumn | undefined>> {
    await this.#load(fields.map((f) => f.tableOid).filter((oid) => oid !== 0))
    return fields.map((f) => (f.tableOid === 0 ? undefined : this.#column(f.tableOid, f.attnum)))
  }

  /**
   * The columns of a table named in SQL (COPY t TO STDOUT), in the order COPY writes them: `columns` when
   * the statement lists some, else every column. Undefined when no such relation is visible. Name lookup
   * uses the side connection's search_path.
   */
  async resolveTable (schema: string | undefined, name: string, columns?: readonly string[]): Promise<ResolvedColumn[] | undefined> {
    const rows = await this.#query(RELATION_BY_NAME_SQL, [name, schema ?? null])
    if (rows.length === 0) return undefined
    const oid = Number(rows[0].oid)
    await this.#load([oid])
    const r = this.#fresh(oid)
    if (r === undefined) return undefined
    const attnums = [...r.columns.keys()].sort((a, b) => a - b)
    const wanted = columns === undefined || columns.length === 0
      ? attnums
      : columns.map((c) => attnums.find((n) => r.columns.get(n)?.name === c) ?? -1)
    return wanted.map((n) => this.#column(oid, n) ?? { schema: r.schema, table: r.name, column: '?', typeCategory: '', sources: [] })
  }

  async #load (oids: number[]): Promise<void> {
    let missing = [...new Set(oids)].filter((oid) => this.#fresh(oid) === undefined)
    const loaded = new Map<number, RawRelation>()
    const dependencies = new Map<number, Array<{ oid: number; attnum: number }>>()
    // Views and partitions lead to other relations; fetch until every relation they lead to is known.
    for (let depth = 0; missing.length > 0 && depth < MAX_RELATION_DEPTH; depth++) {
      const rows = await this.#query(RELATIONS_SQL, [missing])
      const views: number[] = []
      const next = new Set<number>()
      for (const row of rows) {
        const oid = Number(row.oid)
        let rel = loaded.get(oid)
        if (rel === undefined) {
          const parents = row.parents === null || row.parents === undefined ? [] : String(row.parents).split(',').map(Number)
          rel = { schema: String(row.nspname), name: String(row.relname), kind: String(row.relkind), evAction: row.ev_action === null ? null : String(row.ev_action), parents, columns: new Map() }
          loaded.set(oid, rel)
          if (VIEW_KINDS.has(rel.kind)) views.push(oid)
          for (const p of parents) next.add(p)
        }
        rel.columns.set(Number(row.attnum), { name: String(row.attname), typeCategory: String(row.typcategory) })
      }
      if (views.length > 0) {
        for (const d of await this.#query(VIEW_DEPENDENCIES_SQL, [views])) {
          const view = Number(d.view)
          dependencies.set(view, [...(dependencies.get(view) ?? []), { oid: Number(d.oid), attnum: Number(d.attnum) }])
          next.add(Number(d.oid))
        }
        for (const v of views) for (const o of viewColumnOrigins(loaded.get(v)?.evAction ?? '')?.values() ?? []) next.add(o.table)
      }
      missing = [...next].filter((oid) => !loaded.has(oid) && this.#fresh(oid) === undefined)
    }
    const at = this.#now()
    const nameOf = (oid: number, attnum: number): ColumnName | undefined => {
      const r = loaded.get(oid) ?? this.#relations.get(oid)
      const c = r?.columns.get(attnum)
      if (r === undefined || c === undefined) return undefined
      return { schema: r.schema, table: r.name, column: c.name }
    }
    // Sources are resolved innermost first, so a view over a view (or a partition of a partition) inherits them.
    const sourcesOf = (oid: number, attnum: number, seen: Set<number>): ColumnName[] => {
      const self = nameOf(oid, attnum)
      const inner = loaded.has(oid)
        ? (seen.has(oid) ? [] : relationSources(oid, new Set(seen).add(oid)).get(attnum) ?? [])
        : this.#relations.get(oid)?.sources?.get(attnum) ?? []
      return [...(self !== undefined ? [self] : []), ...inner]
    }
    const relationSources = (oid: number, seen: Set<number>): Map<number, ColumnName[]> => {
      const rel = loaded.get(oid) as RawRelation
      const out = new Map<number, ColumnName[]>()
      if (VIEW_KINDS.has(rel.kind)) {
        const origins = viewColumnOrigins(rel.evAction ?? '')
        const derived = (dependencies.get(oid) ?? []).flatMap((d) => sourcesOf(d.oid, d.attnum, seen))
        for (const attnum of rel.columns.keys()) {
          const o = origins?.get(attnum)
          out.set(attnum, o !== undefined ? sourcesOf(o.table, o.column, seen) : derived)
        }
      }
      for (const parent of rel.parents) {
        const columns = (loaded.get(parent) ?? this.#relations.get(parent))?.columns
        for (const [attnum, c] of rel.columns) {
          const inParent = [...(columns ?? [])].find(([, pc]) => pc.name === c.name)?.[0]
          if (inParent !== undefined) out.set(attnum, [...(out.get(attnum) ?? []), ...sourcesOf(parent, inParent, seen)])
        }
      }
      return out
    }
    for (const [oid, rel] of loaded) {
      const sources = VIEW_KINDS.has(rel.kind) || rel.parents.length > 0 ? relationSources(oid, new Set([oid])) : undefined
      this.#relations.set(oid, { schema: rel.schema, name: rel.name, columns: rel.columns, ...(sources !== undefined ? { sources } : {}), loadedAt: at })
    }
  }
}
