import t from 'tap'
import fc from 'fast-check'
import type { SqlStatement } from '../../../../src/core/events/index.js'
import { createSqlAnalyzer, SQL_OPERATIONS } from '../../../../src/protocols/postgres/sql/index.js'

const CORPUS = [
  'SELECT * FROM a JOIN s.b ON a.id = b.id WHERE x IN (SELECT y FROM c)',
  'WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) INSERT INTO log SELECT * FROM d',
  'UPDATE t SET a = s.a FROM s WHERE t.id = s.id',
  "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = 'x'",
  'CREATE TABLE n (id int REFERENCES p (id)) INHERITS (q)',
  'EXPLAIN (ANALYZE) DELETE FROM t',
  "COPY (SELECT * FROM t) TO STDOUT WITH (FORMAT csv); SET ROLE admin; PREPARE p AS SELECT $1",
  'DO $$ DECLARE v int := (SELECT 1 FROM c); BEGIN v := 2; DELETE FROM t WHERE id = v; END $$',
  'DELETE FROM t WHERE 1 = 1 OR NOT false'
]

function isWellFormed (s: SqlStatement): boolean {
  return (SQL_OPERATIONS as readonly string[]).includes(s.operation) &&
    s.tables.every(x => typeof x.name === 'string' && x.name !== '' && (x.access === 'read' || x.access === 'write') &&
      (x.schema === undefined || typeof x.schema === 'string')) &&
    (s.hasWhere === undefined || s.operation === 'update' || s.operation === 'delete') &&
    (s.nested ?? []).every(isWellFormed)
}

/** A corpus statement with a few random edits: deletions, insertions of SQL-ish fragments, swaps. */
const mutated = fc.tuple(
  fc.constantFrom(...CORPUS),
  fc.array(fc.tuple(fc.nat(), fc.nat({ max: 6 }), fc.constantFrom('(', ')', "'", '$$', ';', ' WITH x AS (SELECT 1) ', 'FROM', ',', '--', '/*', 'ONLY ', '"', '\\', 'é', '\u0000')), { maxLength: 4 })
).map(([sql, edits]) => edits.reduce((s, [at, drop, insert]) => {
  const i = at % (s.length + 1)
  return s.slice(0, i) + insert + s.slice(i + drop)
}, sql))

t.test('analyze and normalize never throw and always answer in the documented shape', async t => {
  const analyzer = await createSqlAnalyzer({ cacheSize: 50 })
  const input = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }), mutated)
  fc.assert(fc.property(input, sql => {
    const facts = analyzer.analyze(sql)
    const normalized = analyzer.normalize(sql)
    return facts.text === sql && facts.statements.every(isWellFormed) && typeof normalized === 'string' &&
      (facts.statements.length !== 1 || facts.statements[0].operation !== 'unknown' || !/'\w{3,}'/.test(normalized))
  }), { numRuns: 3000 })
  t.pass('3000 random and mutated inputs')
})
