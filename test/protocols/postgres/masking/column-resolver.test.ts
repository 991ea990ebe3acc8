import t from 'tap'
import { ColumnResolver } from '../../../../src/protocols/postgres/masking/index.js'
import { viewColumnOrigins } from '../../../../src/protocols/postgres/masking/view-origins.js'
import { field } from './fixtures.js'

/** A catalog with one table (16400 customers) and one view (16500) whose column 2 selects customers.email. */
function fakeCatalog () {
  const calls: string[] = []
  const rel = (oid: number, relname: string, relkind: string, cols: string[], ev: string | null) =>
    cols.map((c, i) => ({ oid, nspname: 'public', relname, relkind, attnum: i + 1, attname: c, typcategory: 'S', ev_action: ev }))
  const viewTree = '({QUERY :commandType 1 :rtable ({RANGETBLENTRY :relid 16400}) :targetList ({TARGETENTRY :expr {VAR :varno 1 :varattno 1} :resno 1 :resname id :ressortgroupref 0 :resorigtbl 16400 :resorigcol 1 :resjunk false} {TARGETENTRY :expr {FUNCEXPR :args ({VAR :varno 1 :varattno 2})} :resno 2 :resname lower\\ e :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false} {TARGETENTRY :expr {VAR :varno 1 :varattno 2} :resno 3 :resname contact :ressortgroupref 0 :resorigtbl 16400 :resorigcol 2 :resjunk false}) :onConflict <>})'
  const relations = [...rel(16400, 'customers', 'r', ['id', 'email'], null), ...rel(16500, 'v', 'v', ['id', 'lower e', 'contact'], viewTree)]
  const query = async (sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>> => {
    calls.push(sql.includes('pg_depend') ? 'depend' : sql.includes('relname = $1') ? 'by-name' : 'relations')
    if (sql.includes('pg_depend')) return [{ view: 16500, oid: 16400, attnum: 1 }, { view: 16500, oid: 16400, attnum: 2 }]
    if (sql.includes('relname = $1')) return params[0] === 'customers' ? [{ oid: 16400 }] : []
    const oids = (params[0] as number[]).map(Number)
    return relations.filter((r) => oids.includes(r.oid))
  }
  return { query, calls }
}

t.test('table columns resolve by OID and attribute number; expressions do not', async (t) => {
  const { query, calls } = fakeCatalog()
  const r = new ColumnResolver({ query })
  const fields = [field('e', { tableOid: 16400, attnum: 2 }), field('x')]
  t.equal(r.cached(fields), undefined, 'nothing cached yet')
  const cols = await r.resolve(fields)
  t.same(cols[0], { schema: 'public', table: 'customers', column: 'email', typeCategory: 'S', sources: [] })
  t.equal(cols[1], undefined)
  t.same(r.cached(fields), cols, 'then answered from the cache')
  t.same(calls, ['relations'])
})

t.test('view columns: a plain reference resolves to its base column, an expression to everything the view reads', async (t) => {
  const r = new ColumnResolver({ query: fakeCatalog().query })
  const cols = await r.resolve([1, 2, 3].map((n) => field('c', { tableOid: 16500, attnum: n })))
  t.same(cols[0]?.sources, [{ schema: 'public', table: 'customers', column: 'id' }])
  t.same(cols[1]?.sources.map((s) => s.column), ['id', 'email'])
  t.same(cols[2]?.sources, [{ schema: 'public', table: 'customers', column: 'email' }])
  t.equal(cols[1]?.column, 'lower e', 'escaped names in the tree do not confuse the reader')
})

t.test('invalidate() and the age limit make the next lookup ask the catalog again', async (t) => {
  const { query, calls } = fakeCatalog()
  let now = 0
  const r = new ColumnResolver({ query, maxAgeMs: 1000, now: () => now })
  const fields = [field('e', { tableOid: 16400, attnum: 2 })]
  await r.resolve(fields)
  r.invalidate()
  t.equal(r.cached(fields), undefined)
  await r.resolve(fields)
  now = 1001
  t.equal(r.cached(fields), undefined, 'stale after maxAgeMs')
  await r.resolve(fields)
  t.equal(calls.length, 3)
})

t.test('resolveTable: COPY column order, listed columns, unknown tables', async (t) => {
  const r = new ColumnResolver({ query: fakeCatalog().query })
  t.same((await r.resolveTable(undefined, 'customers'))?.map((c) => c.column), ['id', 'email'])
  t.same((await r.resolveTable(undefined, 'customers', ['email']))?.map((c) => c.column), ['email'])
  t.equal(await r.resolveTable(undefined, 'nope'), undefined)
})

t.test('viewColumnOrigins reads only the top-level target list', async (t) => {
  const nested = '({QUERY :rtable ({RANGETBLENTRY :subquery {QUERY :targetList ({TARGETENTRY :resno 1 :resname x :ressortgroupref 0 :resorigtbl 999 :resorigcol 9 :resjunk false})}}) :targetList ({TARGETENTRY :expr {VAR} :resno 1 :resname x :ressortgroupref 0 :resorigtbl 16400 :resorigcol 2 :resjunk false} {TARGETENTRY :expr {CONST :constvalue 4 [ 0 0 0 0 ]} :resno 2 :resname \\{odd\\) :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false})})'
  t.same([...(viewColumnOrigins(nested) ?? new Map())], [[1, { table: 16400, column: 2 }]])
  t.equal(viewColumnOrigins('garbage'), undefined)
})

t.test('a failing catalog query rejects resolve() and caches nothing', async (t) => {
  let isDown = true
  const { query } = fakeCatalog()
  const r = new ColumnResolver({ query: async (sql, params) => { if (isDown) throw new Error('connection refused'); return await query(sql, params) } })
  const fields = [field('e', { tableOid: 16400, attnum: 2 })]
  await t.rejects(r.resolve(fields), /connection refused/)
  t.equal(r.cached(fields), undefined)
  isDown = false
  t.equal((await r.resolve(fields))[0]?.column, 'email')
})
