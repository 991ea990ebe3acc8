import t from 'tap'
import { createSqlAnalyzer, MAX_CACHED_SQL_CHARS } from '../../../../src/protocols/postgres/sql/index.js'

t.test('a repeated text is answered from the cache with the same result', async t => {
  const analyzer = await createSqlAnalyzer()
  const sql = 'UPDATE customers SET email = $1 WHERE id = $2'
  const first = analyzer.analyze(sql)
  const second = analyzer.analyze(sql)
  t.equal(second, first, 'the same (frozen) object')
  t.same(analyzer.cacheStats(), { entries: 1, chars: sql.length, hits: 1, misses: 1, shapeHits: 0 })
  t.equal(analyzer.normalize(sql), 'UPDATE customers SET email = $1 WHERE id = $2')
  t.equal(analyzer.cacheStats().entries, 1, 'normalize shares the entry')
})

t.test('the cache stays within its entry bound and evicts the least recently used', async t => {
  const analyzer = await createSqlAnalyzer({ cacheSize: 100 })
  const first = analyzer.analyze('SELECT * FROM t0')
  for (let i = 0; i < 1000; i++) analyzer.analyze(`SELECT * FROM t${i}`)
  t.equal(analyzer.cacheStats().entries, 100)
  const again = analyzer.analyze('SELECT * FROM t0')
  t.not(again, first, 'evicted, so parsed again')
  t.same(again, first, 'with an equal result')

  const lru = await createSqlAnalyzer({ cacheSize: 2 })
  lru.analyze('SELECT 1'); lru.analyze('SELECT 2'); lru.analyze('SELECT 1'); lru.analyze('SELECT 3')
  const before = lru.cacheStats()
  lru.analyze('SELECT 1')
  t.equal(lru.cacheStats().hits, before.hits + 1, 'the recently used text stayed')
  lru.analyze('SELECT 2')
  t.equal(lru.cacheStats().misses, before.misses + 1, 'the least recently used one was evicted')
})

t.test('the cache stays within its size bound; huge texts are not cached', async t => {
  const analyzer = await createSqlAnalyzer({ cacheChars: 1000 })
  for (let i = 0; i < 100; i++) analyzer.analyze(`SELECT * FROM t WHERE a = ${String(i).padStart(70, '0')}`)
  t.ok(analyzer.cacheStats().chars <= 1000)
  t.ok(analyzer.cacheStats().entries <= 1000 / 70)

  const big = await createSqlAnalyzer()
  const huge = 'INSERT INTO t VALUES ' + Array.from({ length: MAX_CACHED_SQL_CHARS / 4 }, (_, i) => `(${i})`).join(',')
  t.ok(huge.length > MAX_CACHED_SQL_CHARS)
  t.equal(big.analyze(huge).statements[0].operation, 'insert')
  t.equal(big.cacheStats().entries, 0)
})

t.test('cacheSize 0 disables the cache but not the analysis', async t => {
  const analyzer = await createSqlAnalyzer({ cacheSize: 0 })
  t.equal(analyzer.analyze('DELETE FROM t').statements[0].hasWhere, false)
  t.equal(analyzer.analyze('DELETE FROM t').statements[0].hasWhere, false)
  t.same(analyzer.cacheStats(), { entries: 0, chars: 0, hits: 0, misses: 2, shapeHits: 0 })
})

t.test('reads and inserts that differ only in literals share one parse, with their own text', async t => {
  const analyzer = await createSqlAnalyzer()
  const fresh = await createSqlAnalyzer({ cacheSize: 0 })
  const first = analyzer.analyze('SELECT abalance FROM pgbench_accounts WHERE aid = 17')
  const second = analyzer.analyze('SELECT abalance FROM pgbench_accounts WHERE aid = 4242')
  t.equal(analyzer.cacheStats().shapeHits, 1)
  t.equal(second.text, 'SELECT abalance FROM pgbench_accounts WHERE aid = 4242')
  t.equal(second.statements, first.statements, 'the same (frozen) statements')
  t.ok(Object.isFrozen(second))
  t.equal(analyzer.normalize('SELECT abalance FROM pgbench_accounts WHERE aid = 4242'), 'SELECT abalance FROM pgbench_accounts WHERE aid = $1')

  // Every literal changed, in shapes a policy reads: tables, joins, CTEs, subqueries, inserts from selects.
  const corpus: Array<[string, string]> = [
    ["SELECT * FROM customers WHERE email = 'a@b.co' LIMIT 5", "SELECT * FROM customers WHERE email = 'z@y.io' LIMIT 50"],
    ["SELECT c.id, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.total > 10.5", "SELECT c.id, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.total > 99"],
    ["WITH r AS (SELECT id FROM orders WHERE total > 1) SELECT * FROM r, customers WHERE customers.id = 3", "WITH r AS (SELECT id FROM orders WHERE total > 7) SELECT * FROM r, customers WHERE customers.id = 8"],
    ["SELECT (SELECT count(*) FROM orders WHERE customer_id = 1), 'x'::text", "SELECT (SELECT count(*) FROM orders WHERE customer_id = 2), 'y'::text"],
    ["INSERT INTO audit_log (msg) SELECT name FROM customers WHERE id = 1", "INSERT INTO audit_log (msg) SELECT name FROM customers WHERE id = 2"],
    ["INSERT INTO t (a, b) VALUES (1, 'x') ON CONFLICT (a) DO UPDATE SET b = 'y' WHERE t.a = 1", "INSERT INTO t (a, b) VALUES (2, 'q') ON CONFLICT (a) DO UPDATE SET b = 'r' WHERE t.a = 9"],
    ["SELECT * FROM t1 UNION SELECT * FROM t2 WHERE x = true", "SELECT * FROM t1 UNION SELECT * FROM t2 WHERE x = false"],
    ["SELECT 1; SELECT * FROM t WHERE a = 'b'", "SELECT 2; SELECT * FROM t WHERE a = 'c'"]
  ]
  for (const [a, b] of corpus) {
    analyzer.analyze(a)
    const before = analyzer.cacheStats().shapeHits
    t.same(analyzer.analyze(b), fresh.analyze(b), b)
    t.equal(analyzer.cacheStats().shapeHits, before + 1, `shared: ${b}`)
  }
})

t.test('statements whose facts depend on a literal are parsed on their own', async t => {
  const analyzer = await createSqlAnalyzer()
  // Each pair has the same normalized text ($1 = $2, DO $1) but other facts.
  t.equal(analyzer.analyze('DELETE FROM t WHERE 1 = 1').statements[0].hasWhere, false, 'a constant-true WHERE restricts nothing')
  t.equal(analyzer.analyze('DELETE FROM t WHERE 1 = 2').statements[0].hasWhere, true)
  t.equal(analyzer.analyze('UPDATE t SET a = 1 WHERE true').statements[0].hasWhere, false)
  t.equal(analyzer.analyze('UPDATE t SET a = 1 WHERE false').statements[0].hasWhere, true)
  t.same(analyzer.analyze('DO $$BEGIN DELETE FROM a; END$$').statements[0].nested?.[0].tables, [{ name: 'a', access: 'write' }])
  t.same(analyzer.analyze('DO $$BEGIN DELETE FROM b; END$$').statements[0].nested?.[0].tables, [{ name: 'b', access: 'write' }])
  t.equal(analyzer.analyze('WITH d AS (DELETE FROM t WHERE 1 = 1 RETURNING *) SELECT * FROM d').statements[0].nested?.[0].hasWhere, false)
  t.equal(analyzer.analyze('WITH d AS (DELETE FROM t WHERE 1 = 2 RETURNING *) SELECT * FROM d').statements[0].nested?.[0].hasWhere, true)
  t.equal(analyzer.cacheStats().shapeHits, 0)
})

t.test('invalid cache options are refused', async t => {
  await t.rejects(createSqlAnalyzer({ cacheSize: -1 }))
  await t.rejects(createSqlAnalyzer({ cacheChars: 1.5 }))
})

t.test('analyzers created at once share the parser and each answer', async t => {
  const analyzers = await Promise.all([1, 2, 3].map(() => createSqlAnalyzer()))
  for (const analyzer of analyzers) t.equal(analyzer.analyze('TRUNCATE t').statements[0].operation, 'truncate')
})
