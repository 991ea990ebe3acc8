import t from 'tap'
import type { SqlStatement } from '../../../../src/core/events/index.js'
import { createSqlAnalyzer, SQL_OPERATIONS } from '../../../../src/protocols/postgres/sql/index.js'
import { classifyStatement } from '../../../../src/protocols/postgres/sql/operations.js'

/** A statement as the spec below writes it: tables as 'read s.t' / 'write t'. */
interface Expected { op: string; tables?: string[]; where?: boolean; nested?: Expected[] }

function compact (s: SqlStatement): Expected {
  const e: Expected = { op: s.operation }
  if (s.tables.length > 0) e.tables = s.tables.map(x => `${x.access} ${x.schema === undefined ? '' : x.schema + '.'}${x.name}`)
  if (s.hasWhere !== undefined) e.where = s.hasWhere
  if (s.nested !== undefined) e.nested = s.nested.map(compact)
  return e
}

const sel = (...tables: string[]): Expected => ({ op: 'select', tables: tables.map(x => `read ${x}`) })

// One row per behaviour: [description, SQL, the statements it must yield].
const cases: Array<[string, string, Expected | Expected[]]> = [
  // SELECT and what it reads
  ['a constant select reads nothing', 'SELECT 1', { op: 'select' }],
  ['a plain table', 'SELECT * FROM customers', sel('customers')],
  ['a schema-qualified table with an alias', 'SELECT c.email FROM public.customers c', sel('public.customers')],
  ['quoted identifiers keep their case', 'SELECT * FROM "Sales"."Order Lines"', sel('Sales.Order Lines')],
  ['joins of every kind', 'SELECT * FROM a JOIN b ON a.id = b.id LEFT JOIN s.c USING (id) CROSS JOIN d', sel('a', 'b', 's.c', 'd')],
  ['a table named twice is listed once', 'SELECT * FROM a x JOIN a y ON x.id = y.parent', sel('a')],
  ['subqueries in WHERE (IN, EXISTS)', 'SELECT * FROM a WHERE id IN (SELECT id FROM b) AND EXISTS (SELECT 1 FROM c)', sel('a', 'b', 'c')],
  ['a subquery in the select list', 'SELECT (SELECT max(x) FROM b) AS m FROM a', sel('b', 'a')],
  ['a subquery in FROM', 'SELECT * FROM (SELECT * FROM b) sub', sel('b')],
  ['a subquery in HAVING', 'SELECT k, count(*) FROM t GROUP BY k HAVING count(*) > (SELECT count(*) FROM h)', sel('t', 'h')],
  ['a LATERAL subquery', 'SELECT * FROM t, LATERAL (SELECT * FROM u WHERE u.a = t.a) x', sel('t', 'u')],
  ['a subquery in ORDER BY and a CASE', 'SELECT CASE WHEN a > 0 THEN (SELECT 1 FROM p) END FROM t ORDER BY (SELECT 1 FROM o)', sel('p', 't', 'o')],
  ['set operations', 'SELECT id FROM a UNION SELECT id FROM b EXCEPT SELECT id FROM c INTERSECT SELECT id FROM d', sel('a', 'b', 'c', 'd')],
  ['ONLY and TABLESAMPLE', 'SELECT * FROM ONLY parent, t TABLESAMPLE SYSTEM (10)', sel('parent', 't')],
  ['TABLE t', 'TABLE t', sel('t')],
  ['FOR UPDATE OF an alias names no extra table', 'SELECT * FROM customers c JOIN orders o ON o.cid = c.id FOR UPDATE OF c SKIP LOCKED', sel('customers', 'orders')],
  ['subqueries in table functions (JSON_TABLE, XMLTABLE)', "SELECT * FROM JSON_TABLE((SELECT j FROM docs LIMIT 1), '$[*]' COLUMNS (a int PATH '$.a')) jt, XMLTABLE('/r' PASSING (SELECT x FROM xmls) COLUMNS b int) x", sel('docs', 'xmls')],
  ['VALUES reads nothing', 'VALUES (1), (2)', { op: 'select' }],
  ['functions in FROM are not tables', 'SELECT * FROM generate_series(1, 3) g, unnest(ARRAY[1]) u, ROWS FROM (f(), g()) r', { op: 'select' }],
  ['a function argument can read a table', 'SELECT * FROM f((SELECT id FROM t LIMIT 1))', sel('t')],

  // CTEs: a CTE name is not a table
  ['a CTE name is not a table', 'WITH c AS (SELECT * FROM orders) SELECT * FROM c', sel('orders')],
  ['a CTE sees the CTEs before it', 'WITH a AS (SELECT * FROM t), b AS (SELECT * FROM a) SELECT * FROM b', sel('t')],
  ['without RECURSIVE a CTE does not see later ones (that name is a table)', 'WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a', sel('b')],
  ['a recursive CTE refers to itself', 'WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r', { op: 'select' }],
  ['a CTE does not shadow a schema-qualified table', 'WITH customers AS (SELECT 1) SELECT * FROM public.customers pc, customers', sel('public.customers')],
  ['a CTE is out of scope outside its query', 'SELECT * FROM (WITH x AS (SELECT 1) SELECT * FROM x) s, x', sel('x')],
  ['a CTE in one UNION arm does not cover the other', '(WITH x AS (SELECT 1) SELECT * FROM x) UNION ALL SELECT * FROM x', sel('x')],

  // INSERT / UPDATE / DELETE / MERGE
  ['INSERT VALUES writes its target', 'INSERT INTO public.t (a) VALUES (1)', { op: 'insert', tables: ['write public.t'] }],
  ['INSERT ... SELECT writes the target and reads the source', 'INSERT INTO t SELECT * FROM s JOIN u USING (id)', { op: 'insert', tables: ['write t', 'read s', 'read u'] }],
  ['INSERT ... ON CONFLICT DO UPDATE', 'INSERT INTO t (id, a) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET a = excluded.a', { op: 'insert', tables: ['write t'] }],
  ['a table both written and read is listed with each access', 'INSERT INTO t VALUES ((SELECT max(id) + 1 FROM t))', { op: 'insert', tables: ['write t', 'read t'] }],
  ['UPDATE without WHERE', 'UPDATE t SET a = 1', { op: 'update', tables: ['write t'], where: false }],
  ['UPDATE with WHERE', 'UPDATE s.t SET a = 1 WHERE id = 2', { op: 'update', tables: ['write s.t'], where: true }],
  ['UPDATE ... FROM reads the FROM tables', 'UPDATE t SET a = s.a FROM s WHERE t.id = s.id', { op: 'update', tables: ['write t', 'read s'], where: true }],
  ['WHERE CURRENT OF counts as a WHERE', 'UPDATE t SET a = 1 WHERE CURRENT OF c', { op: 'update', tables: ['write t'], where: true }],
  ['DELETE without WHERE', 'DELETE FROM t', { op: 'delete', tables: ['write t'], where: false }],
  ['a constant-true WHERE does not restrict', "DELETE FROM t WHERE true; UPDATE t SET a = 1 WHERE 1 = 1; DELETE FROM t WHERE 'a' = 'a'::text OR id = 5; DELETE FROM t WHERE NOT false AND 2 >= 1.5 AND NULL IS NULL; DELETE FROM t WHERE 1 = 1 OR 0 = 1",
    [{ op: 'delete', tables: ['write t'], where: false }, { op: 'update', tables: ['write t'], where: false }, { op: 'delete', tables: ['write t'], where: false },
      { op: 'delete', tables: ['write t'], where: false }, { op: 'delete', tables: ['write t'], where: false }]],
  ['a WHERE that depends on the row restricts', "DELETE FROM t WHERE 1 = 1 AND id = 5; DELETE FROM t WHERE id = id; DELETE FROM t WHERE false; DELETE FROM t WHERE NULL = NULL; DELETE FROM t WHERE $1; DELETE FROM t WHERE '1' = 1",
    [{ op: 'delete', tables: ['write t'], where: true }, { op: 'delete', tables: ['write t'], where: true }, { op: 'delete', tables: ['write t'], where: true },
      { op: 'delete', tables: ['write t'], where: true }, { op: 'delete', tables: ['write t'], where: true }, { op: 'delete', tables: ['write t'], where: true }]],
  ['DELETE ... USING reads the USING tables', 'DELETE FROM t USING u WHERE t.id = u.id', { op: 'delete', tables: ['write t', 'read u'], where: true }],
  ['a subquery in DELETE ... WHERE', 'DELETE FROM t WHERE id IN (SELECT id FROM u)', { op: 'delete', tables: ['write t', 'read u'], where: true }],
  ['MERGE writes its target and reads its source', 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.a)', { op: 'merge', tables: ['write t', 'read s'] }],
  ['MERGE from a subquery', 'MERGE INTO t USING (SELECT * FROM s.src) x ON t.id = x.id WHEN MATCHED THEN DELETE', { op: 'merge', tables: ['write t', 'read s.src'] }],
  ['MERGE from a CTE: the CTE is not a table', 'WITH s AS (SELECT * FROM src) MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', { op: 'merge', tables: ['read src', 'write t'] }],
  ['UPDATE SET (a, b) = (subquery)', 'UPDATE t SET (a, b) = (SELECT a, b FROM s WHERE s.id = t.id)', { op: 'update', tables: ['write t', 'read s'], where: false }],
  ['a DML target is a table even when a CTE has its name', 'WITH t AS (SELECT 1) DELETE FROM t', { op: 'delete', tables: ['write t'], where: false }],

  // data-modifying CTEs
  ['a DELETE in a CTE is a write and a nested delete', 'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
    { op: 'select', tables: ['write t'], nested: [{ op: 'delete', tables: ['write t'], where: false }] }],
  ['an INSERT ... SELECT in a CTE under an UPDATE', 'WITH i AS (INSERT INTO log SELECT * FROM t RETURNING id) UPDATE u SET x = 1 FROM i WHERE u.id = i.id',
    { op: 'update', tables: ['write log', 'read t', 'write u'], where: true, nested: [{ op: 'insert', tables: ['write log', 'read t'] }] }],
  ['a data-modifying CTE inside a nested WITH', 'WITH a AS (WITH b AS (UPDATE t SET x = 1 RETURNING *) SELECT * FROM b) SELECT * FROM a',
    { op: 'select', tables: ['write t'], nested: [{ op: 'update', tables: ['write t'], where: false }] }],

  // COPY
  ['COPY FROM writes', 'COPY t FROM STDIN', { op: 'copy', tables: ['write t'] }],
  ['COPY FROM with a column list and WHERE', 'COPY s.t (a, b) FROM STDIN WITH (FORMAT csv) WHERE a > 0', { op: 'copy', tables: ['write s.t'] }],
  ['COPY TO reads', 'COPY t TO STDOUT', { op: 'copy', tables: ['read t'] }],
  ['COPY (query) TO reads the query tables', 'COPY (SELECT * FROM s.t JOIN u USING (id)) TO STDOUT', { op: 'copy', tables: ['read s.t', 'read u'] }],
  ['COPY (DELETE ... RETURNING) TO writes', 'COPY (DELETE FROM t RETURNING *) TO STDOUT',
    { op: 'copy', tables: ['write t'], nested: [{ op: 'delete', tables: ['write t'], where: false }] }],

  // creating tables from queries
  ['CREATE TABLE AS writes the new table and reads the source', 'CREATE TABLE n AS SELECT * FROM o', { op: 'ddl:create', tables: ['read o', 'write n'] }],
  ['SELECT INTO is a create', 'SELECT * INTO n FROM o', { op: 'ddl:create', tables: ['write n', 'read o'] }],
  ['CREATE MATERIALIZED VIEW', 'CREATE MATERIALIZED VIEW s.mv AS SELECT * FROM o', { op: 'ddl:create', tables: ['read o', 'write s.mv'] }],
  ['CREATE VIEW', 'CREATE OR REPLACE VIEW v AS SELECT * FROM o WHERE a IN (SELECT a FROM p)', { op: 'ddl:create', tables: ['write v', 'read o', 'read p'] }],

  // schema changes
  ['CREATE TABLE: FK target and LIKE source read, parent written', 'CREATE TABLE c (id int REFERENCES p (id), LIKE l) INHERITS (par)',
    { op: 'ddl:create', tables: ['write c', 'read p', 'read l', 'write par'] }],
  ['ALTER TABLE', 'ALTER TABLE public.customers ADD COLUMN x int', { op: 'ddl:alter', tables: ['write public.customers'] }],
  ['ALTER TABLE ... ADD FOREIGN KEY reads the referenced table', 'ALTER TABLE o ADD CONSTRAINT fk FOREIGN KEY (cid) REFERENCES customers (id)', { op: 'ddl:alter', tables: ['write o', 'read customers'] }],
  ['ATTACH PARTITION writes both tables', 'ALTER TABLE p ATTACH PARTITION s.c FOR VALUES IN (1)', { op: 'ddl:alter', tables: ['write p', 'write s.c'] }],
  ['SET SCHEMA and SECURITY LABEL', "ALTER TABLE t SET SCHEMA s2; SECURITY LABEL ON TABLE u IS 'x'", [{ op: 'ddl:alter', tables: ['write t'] }, { op: 'ddl:alter', tables: ['write u'] }]],
  ['ALTER TABLE ... RENAME', 'ALTER TABLE t RENAME TO u', { op: 'ddl:alter', tables: ['write t'] }],
  ['DROP TABLE lists every table', 'DROP TABLE IF EXISTS a, s.b CASCADE', { op: 'ddl:drop', tables: ['write a', 'write s.b'] }],
  ['DROP VIEW and DROP MATERIALIZED VIEW', 'DROP VIEW v; DROP MATERIALIZED VIEW s.mv', [{ op: 'ddl:drop', tables: ['write v'] }, { op: 'ddl:drop', tables: ['write s.mv'] }]],
  ['DROP TRIGGER names the table it is on', 'DROP TRIGGER tr ON s.t', { op: 'ddl:drop', tables: ['write s.t'] }],
  ['DROP INDEX names no table', 'DROP INDEX i', { op: 'ddl:drop' }],
  ['CREATE INDEX writes its table', 'CREATE UNIQUE INDEX CONCURRENTLY i ON s.t (a) WHERE a > 0', { op: 'ddl:create', tables: ['write s.t'] }],
  ['COMMENT ON TABLE and COLUMN', "COMMENT ON TABLE t IS 'x'; COMMENT ON COLUMN s.t.c IS 'y'", [{ op: 'ddl:comment', tables: ['write t'] }, { op: 'ddl:comment', tables: ['write s.t'] }]],
  ['CREATE TYPE AS names a type, not a table', 'CREATE TYPE pair AS (a int, b int)', { op: 'ddl:create' }],
  ['CREATE SCHEMA, FUNCTION, EXTENSION', "CREATE SCHEMA s; CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; CREATE EXTENSION IF NOT EXISTS pgcrypto",
    [{ op: 'ddl:create' }, { op: 'ddl:create' }, { op: 'ddl:create' }]],
  ['roles and databases', "CREATE ROLE r LOGIN; ALTER ROLE r PASSWORD 'x'; DROP ROLE r; CREATE DATABASE d; DROP DATABASE d; ALTER SYSTEM SET work_mem = '1GB'",
    [{ op: 'ddl:create' }, { op: 'ddl:alter' }, { op: 'ddl:drop' }, { op: 'ddl:create' }, { op: 'ddl:drop' }, { op: 'ddl:alter' }]],
  ['CREATE RULE: its actions are nested writes', 'CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM u',
    { op: 'ddl:create', tables: ['write t', 'write u'], nested: [{ op: 'delete', tables: ['write u'], where: false }] }],
  ['a SQL-standard function body is analyzed', 'CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM t WHERE a = 1; END',
    { op: 'ddl:create', tables: ['write t'], nested: [{ op: 'delete', tables: ['write t'], where: true }] }],
  ['TRUNCATE writes', 'TRUNCATE a, s.b RESTART IDENTITY', { op: 'truncate', tables: ['write a', 'write s.b'] }],

  // privileges
  ['GRANT on tables writes their ACL', 'GRANT SELECT ON t, s.u TO bob', { op: 'grant', tables: ['write t', 'write s.u'] }],
  ['REVOKE', 'REVOKE ALL ON t FROM bob', { op: 'revoke', tables: ['write t'] }],
  ['role membership', 'GRANT admins TO bob; REVOKE admins FROM bob', [{ op: 'grant' }, { op: 'revoke' }]],
  ['default privileges', 'ALTER DEFAULT PRIVILEGES IN SCHEMA s REVOKE SELECT ON TABLES FROM bob', { op: 'revoke' }],

  // session, transactions
  ['SET and RESET', "SET search_path = public; SET LOCAL statement_timeout = '5s'; RESET ALL; SET TRANSACTION ISOLATION LEVEL SERIALIZABLE; SET CONSTRAINTS ALL DEFERRED",
    [{ op: 'set' }, { op: 'set' }, { op: 'set' }, { op: 'set' }, { op: 'set' }]],
  ['changing role is set_role', 'SET ROLE admin; SET LOCAL ROLE admin; RESET ROLE; SET SESSION AUTHORIZATION bob',
    [{ op: 'set_role' }, { op: 'set_role' }, { op: 'set_role' }, { op: 'set_role' }]],
  ['SHOW, DISCARD, LOAD', "SHOW search_path; DISCARD ALL; LOAD 'auto_explain'", [{ op: 'show' }, { op: 'discard' }, { op: 'load' }]],
  ['transaction control', 'BEGIN; START TRANSACTION; SAVEPOINT a; RELEASE a; ROLLBACK TO a; COMMIT; ROLLBACK',
    [{ op: 'begin' }, { op: 'begin' }, { op: 'savepoint' }, { op: 'release' }, { op: 'rollback' }, { op: 'commit' }, { op: 'rollback' }]],
  ['two-phase commit', "PREPARE TRANSACTION 'x'; COMMIT PREPARED 'x'; ROLLBACK PREPARED 'y'",
    [{ op: 'prepare_transaction' }, { op: 'commit_prepared' }, { op: 'rollback_prepared' }]],
  ['LISTEN / NOTIFY', "LISTEN ch; NOTIFY ch, 'x'; UNLISTEN *", [{ op: 'listen' }, { op: 'notify' }, { op: 'unlisten' }]],
  ['CALL and DO', "CALL p(1); DO $$ BEGIN PERFORM 1; END $$", [{ op: 'call' }, { op: 'do' }]],
  ['a DO block\'s static SQL is nested in it', "DO $$ DECLARE n int := (SELECT count(*) FROM c); r record; BEGIN n := (SELECT max(a) FROM m); DELETE FROM customers; " +
    "FOR r IN SELECT * FROM orders LOOP UPDATE x SET a = r.a WHERE id = r.id; END LOOP; EXECUTE 'DROP TABLE y'; END $$",
  { op: 'do', tables: ['read c', 'read m', 'write customers', 'write x', 'read orders'],
    nested: [sel('c'), sel('m'), { op: 'delete', tables: ['write customers'], where: false }, { op: 'update', tables: ['write x'], where: true }, sel('orders')] }],
  ['a DO block in another language, or one that does not parse, is opaque; any body text is wrapped safely', "DO LANGUAGE plpython3u $$ plpy.execute('delete from t') $$; DO $$ BEGIN DELET FROM t; END $$; DO $x$ BEGIN RAISE NOTICE '$gh$'; DELETE FROM t; END $x$",
    [{ op: 'do' }, { op: 'do' }, { op: 'do', tables: ['write t'], nested: [{ op: 'delete', tables: ['write t'], where: false }] }]],

  // wrappers
  ['plain EXPLAIN runs nothing: explain, tables read', 'EXPLAIN SELECT * FROM t JOIN u USING (id)', { op: 'explain', tables: ['read t', 'read u'] }],
  ['plain EXPLAIN of a DELETE only reads', 'EXPLAIN DELETE FROM t', { op: 'explain', tables: ['read t'] }],
  ['EXPLAIN ANALYZE runs the statement: it is that statement', 'EXPLAIN ANALYZE DELETE FROM t', { op: 'delete', tables: ['write t'], where: false }],
  ['EXPLAIN (ANALYZE, FORMAT JSON) UPDATE', 'EXPLAIN (ANALYZE, FORMAT JSON) UPDATE t SET a = 1 WHERE id = 1', { op: 'update', tables: ['write t'], where: true }],
  ['EXPLAIN (ANALYZE false) runs nothing', 'EXPLAIN (ANALYZE false) DELETE FROM t', { op: 'explain', tables: ['read t'] }],
  ['EXPLAIN (ANALYZE on) runs', 'EXPLAIN (ANALYZE on) INSERT INTO t SELECT * FROM s', { op: 'insert', tables: ['write t', 'read s'] }],
  ['PREPARE is the statement it prepares', 'PREPARE p (int) AS DELETE FROM t WHERE id = $1', { op: 'delete', tables: ['write t'], where: true }],
  ['EXECUTE, DEALLOCATE', 'EXECUTE p (1); DEALLOCATE p; DEALLOCATE ALL', [{ op: 'execute' }, { op: 'deallocate' }, { op: 'deallocate' }]],
  ['DECLARE is its query; FETCH, MOVE, CLOSE', 'DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t; FETCH 10 FROM c; MOVE NEXT IN c; CLOSE c',
    [sel('t'), { op: 'fetch' }, { op: 'move' }, { op: 'close' }]],

  // maintenance and locks
  ['VACUUM, ANALYZE', 'VACUUM t; VACUUM (ANALYZE) s.u; ANALYZE t (a)', [{ op: 'vacuum', tables: ['write t'] }, { op: 'vacuum', tables: ['write s.u'] }, { op: 'analyze', tables: ['write t'] }]],
  ['CLUSTER, REINDEX, REFRESH, CHECKPOINT', 'CLUSTER t USING i; REINDEX TABLE t; REFRESH MATERIALIZED VIEW CONCURRENTLY mv; CHECKPOINT',
    [{ op: 'cluster', tables: ['write t'] }, { op: 'reindex', tables: ['write t'] }, { op: 'refresh', tables: ['write mv'] }, { op: 'checkpoint' }]],
  ['LOCK: ACCESS SHARE reads, stronger modes write', 'LOCK TABLE t IN ACCESS SHARE MODE; LOCK u; LOCK v IN ROW EXCLUSIVE MODE',
    [{ op: 'lock', tables: ['read t'] }, { op: 'lock', tables: ['write u'] }, { op: 'lock', tables: ['write v'] }]],

  // several statements in one Query
  ['a transaction script', 'BEGIN; UPDATE accounts SET balance = balance - 1 WHERE id = 1; COMMIT;',
    [{ op: 'begin' }, { op: 'update', tables: ['write accounts'], where: true }, { op: 'commit' }]],
  ['a read then a destructive write', 'SELECT 1; DELETE FROM customers', [{ op: 'select' }, { op: 'delete', tables: ['write customers'], where: false }]],

  // what does not parse is one unknown statement (fail closed)
  ['a typo', 'SELEC * FROM t', { op: 'unknown' }],
  ['one bad statement makes the whole string unknown', 'SELECT * FROM t; DROP TABL x', { op: 'unknown' }],
  ['an unterminated literal', "SELECT 'abc", { op: 'unknown' }],
  ['a NUL hides text from the parser, so it is unknown', 'SELECT 1\0; DROP TABLE customers', { op: 'unknown' }],
  ['CREATE STATISTICS writes its table', 'CREATE STATISTICS st ON a, b FROM t', { op: 'ddl:create', tables: ['write t'] }]
]

t.test('analyze: operation, tables and hasWhere per statement', async t => {
  const analyzer = await createSqlAnalyzer()
  for (const [name, sql, expected] of cases) {
    const facts = analyzer.analyze(sql)
    t.equal(facts.text, sql, `${name}: text kept`)
    t.strictSame(facts.statements.map(compact), Array.isArray(expected) ? expected : [expected], name)
  }
})

t.test('every operation name analyze reports is in SQL_OPERATIONS, and each listed name occurs', async t => {
  const analyzer = await createSqlAnalyzer()
  const seen = new Set<string>()
  const collect = (s: SqlStatement): void => { seen.add(s.operation); s.nested?.forEach(collect) }
  for (const [, sql] of cases) analyzer.analyze(sql).statements.forEach(collect)
  t.same([...seen].filter(op => !(SQL_OPERATIONS as readonly string[]).includes(op)), [], 'no unlisted names')
  t.same(SQL_OPERATIONS.filter(op => !seen.has(op)), [], 'every listed name is produced by some statement above')
  t.equal(new Set(SQL_OPERATIONS).size, SQL_OPERATIONS.length, 'no duplicates')
})

t.test('a statement kind the classifier does not know is unknown, not a harmless kind', async t => {
  t.equal(classifyStatement('FutureStmt', {}), 'unknown')
  t.equal(classifyStatement('TransactionStmt', { kind: 'TRANS_STMT_FUTURE' }), 'unknown')
})

t.test('empty input and input without statements yield zero statements', async t => {
  const analyzer = await createSqlAnalyzer()
  for (const sql of ['', ' ', ';;', '-- only a comment', '/* c */ ;']) {
    t.same(analyzer.analyze(sql).statements, [], JSON.stringify(sql))
  }
})

t.test('analyze never throws, whatever it is given', async t => {
  const analyzer = await createSqlAnalyzer()
  const deep = 'SELECT ' + '(SELECT '.repeat(2000) + '1' + ')'.repeat(2000)
  const parens = 'SELECT ' + '('.repeat(50000) + '1' + ')'.repeat(50000)
  for (const input of [deep, parens, 'x'.repeat(1_000_000), '\uD800', '\\', '$$', "E'\\", null, undefined, 42]) {
    const facts = analyzer.analyze(input as string)
    t.same(facts.statements, [{ operation: 'unknown', tables: [] }], `input of ${String(input).length} chars`)
  }
  t.same(analyzer.analyze('SELECT * FROM t').statements, [sel('t')].map(e => ({ operation: e.op, tables: [{ name: 't', access: 'read' }] })),
    'the parser still works after those')
})

t.test('results are frozen, so a caller cannot corrupt the cached copy others get', async t => {
  const analyzer = await createSqlAnalyzer()
  const facts = analyzer.analyze('UPDATE t SET a = 1')
  t.throws(() => { (facts.statements as SqlStatement[]).push({ operation: 'select', tables: [] }) })
  t.throws(() => { (facts.statements[0] as { operation: string }).operation = 'select' })
  t.throws(() => { (facts.statements[0].tables[0] as { access: string }).access = 'read' })
  t.equal(analyzer.analyze('UPDATE t SET a = 1').statements[0].tables[0].access, 'write')
})
