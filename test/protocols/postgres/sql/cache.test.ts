import t from 'tap'
import { createSqlAnalyzer, MAX_CACHED_SQL_CHARS } from '../../../../src/protocols/postgres/sql/index.js'

t.test('a repeated text is answered from the cache with the same result', async t => {
  const analyzer = await createSqlAnalyzer()
  const sql = 'UPDATE customers SET email = $1 WHERE id = $2'
  const first = analyzer.analyze(sql)
  const second = analyzer.analyze(sql)
  t.equal(second, first, 'the same (frozen) object')
  t.same(analyzer.cacheStats(), { entries: 1, chars: sql.length, hits: 1, misses: 1 })
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
  t.same(analyzer.cacheStats(), { entries: 0, chars: 0, hits: 0, misses: 2 })
})

t.test('invalid cache options are refused', async t => {
  await t.rejects(createSqlAnalyzer({ cacheSize: -1 }))
  await t.rejects(createSqlAnalyzer({ cacheChars: 1.5 }))
})

t.test('analyzers created at once share the parser and each answer', async t => {
  const analyzers = await Promise.all([1, 2, 3].map(() => createSqlAnalyzer()))
  for (const analyzer of analyzers) t.equal(analyzer.analyze('TRUNCATE t').statements[0].operation, 'truncate')
})
