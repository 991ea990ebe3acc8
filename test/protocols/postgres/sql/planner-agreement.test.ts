import t from 'tap'
import pg from 'pg'
import { startTestPostgres } from '../../../helpers/postgres.js'
import { createSqlAnalyzer } from '../../../../src/protocols/postgres/sql/index.js'

// The tables analyze() reports, checked against the relations PostgreSQL's own planner touches
// (EXPLAIN VERBOSE): all of them, and the written ones (ModifyTable nodes).
const TABLES = ['a', 'b', 'c', 'd', 't', 'u', 'h', 'v', 'w', 'orders', 'customers', 'src', 'log']
const S_TABLES = ['b', 'c', 't']

const QUERIES = [
  'SELECT * FROM a JOIN b ON a.id = b.id LEFT JOIN s.c ON s.c.id = a.id CROSS JOIN d',
  'SELECT * FROM a WHERE id IN (SELECT id FROM b) AND EXISTS (SELECT 1 FROM c)',
  'SELECT (SELECT max(x) FROM b) AS m FROM a',
  'SELECT k, count(*) FROM t GROUP BY k HAVING count(*) > (SELECT count(*) FROM h)',
  'SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.a = t.a) x',
  'SELECT id FROM a UNION SELECT id FROM b EXCEPT SELECT id FROM c INTERSECT SELECT id FROM d',
  'SELECT * FROM ONLY a, t TABLESAMPLE SYSTEM (10)',
  'WITH c AS (SELECT * FROM orders) SELECT * FROM c',
  'WITH a AS (SELECT * FROM t), b AS (SELECT * FROM a) SELECT * FROM b',
  'WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a',
  'WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r',
  'WITH customers AS (SELECT 1 AS one) SELECT * FROM public.customers pc, customers',
  'SELECT * FROM (WITH x AS (SELECT 1) SELECT * FROM x) s, v x',
  '(WITH v AS (SELECT 1 AS id) SELECT * FROM v) UNION ALL SELECT id FROM v',
  'WITH w1 AS (WITH w2 AS (SELECT * FROM v) SELECT * FROM w2) SELECT * FROM w1, (SELECT * FROM w) w2',
  'SELECT * FROM a WHERE a.id = ANY (SELECT b.id FROM b WHERE EXISTS (WITH b AS (SELECT 1) SELECT * FROM b, c))',
  'SELECT * FROM customers c JOIN orders o ON o.id = c.id FOR UPDATE OF c',
  'INSERT INTO t SELECT * FROM u',
  'INSERT INTO t (id) VALUES ((SELECT max(id) FROM t))',
  'UPDATE t SET a = s.a FROM s.t s WHERE t.id = s.id',
  'UPDATE t SET (a, b) = (SELECT a, b FROM u WHERE u.id = t.id)',
  'DELETE FROM t USING u WHERE t.id = u.id',
  'DELETE FROM t WHERE id IN (SELECT id FROM u)',
  'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
  'WITH i AS (INSERT INTO log SELECT * FROM t RETURNING id) UPDATE u SET x = 1 FROM i WHERE u.id = i.id',
  'WITH t AS (SELECT 1) DELETE FROM t',
  'WITH s AS (SELECT * FROM src) MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE',
  'MERGE INTO t USING (SELECT * FROM s.b) x ON t.id = x.id WHEN MATCHED THEN UPDATE SET a = x.a WHEN NOT MATCHED THEN INSERT (id) VALUES (x.id)'
]

t.test('tables read and written agree with the PostgreSQL planner', async t => {
  const db = await startTestPostgres(t)
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: 'postgres' })
  await client.connect()
  t.teardown(() => client.end())
  await client.query('CREATE SCHEMA s')
  for (const name of TABLES) await client.query(`CREATE TABLE public.${name} (id int, a int, b int, k int, x int)`)
  for (const name of S_TABLES) await client.query(`CREATE TABLE s.${name} (id int, a int, b int)`)
  const analyzer = await createSqlAnalyzer()

  for (const sql of QUERIES) {
    const plan = (await client.query(`EXPLAIN (VERBOSE, FORMAT JSON) ${sql}`)).rows[0]['QUERY PLAN'] as unknown
    const planned = new Set<string>()
    const written = new Set<string>()
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) { node.forEach(visit); return }
      if (typeof node !== 'object' || node === null) return
      const n = node as Record<string, unknown>
      if (typeof n['Relation Name'] === 'string') {
        const name = `${String(n.Schema)}.${n['Relation Name']}`
        planned.add(name)
        if (n['Node Type'] === 'ModifyTable') written.add(name)
      }
      Object.values(n).forEach(visit)
    }
    visit(plan)
    const tables = analyzer.analyze(sql).statements.flatMap(st => st.tables)
    const qualified = (x: { schema?: string; name: string }): string => `${x.schema ?? 'public'}.${x.name}`
    t.same(new Set(tables.map(qualified)), planned, `all tables: ${sql}`)
    t.same(new Set(tables.filter(x => x.access === 'write').map(qualified)), written, `written tables: ${sql}`)
  }
})
