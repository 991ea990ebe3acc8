import t from 'tap'
import type { SqlStatement } from '../../../../src/core/events/index.js'
import { createSqlAnalyzer } from '../../../../src/protocols/postgres/sql/index.js'

// pg-query-emscripten hung or aborted after a few hundred parses in one process (it never freed its
// input buffers). A proxy parses every Query for as long as it runs, so this parses (and normalizes)
// tens of thousands of distinct statements in one process and checks every answer.
const STATEMENTS = 20_000

interface Generated { sql: string; expected: SqlStatement[]; literal: string }

function generate (i: number): Generated {
  const literal = `lit${i}x`
  switch (i % 6) {
    case 0: return {
      sql: `SELECT c${i} FROM s${i % 13}.t${i} WHERE id = '${literal}'`, literal,
      expected: [{ operation: 'select', tables: [{ schema: `s${i % 13}`, name: `t${i}`, access: 'read' }] }]
    }
    case 1: return {
      sql: `INSERT INTO t${i} (a, b) SELECT a, '${literal}' FROM u${i}`, literal,
      expected: [{ operation: 'insert', tables: [{ name: `t${i}`, access: 'write' }, { name: `u${i}`, access: 'read' }] }]
    }
    case 2: return {
      sql: `UPDATE t${i} SET a = '${literal}'`, literal,
      expected: [{ operation: 'update', tables: [{ name: `t${i}`, access: 'write' }], hasWhere: false }]
    }
    case 3: {
      const del: SqlStatement = { operation: 'delete', tables: [{ name: `t${i}`, access: 'write' }], hasWhere: true }
      return {
        sql: `WITH c${i} AS (DELETE FROM t${i} WHERE id < '${literal}' RETURNING *) SELECT * FROM c${i}`, literal,
        expected: [{ operation: 'select', tables: del.tables, nested: [del] }]
      }
    }
    case 4: return { sql: `SELEC '${literal}' FROM t${i}`, literal, expected: [{ operation: 'unknown', tables: [] }] }
    default: return {
      sql: `BEGIN; DELETE FROM t${i} WHERE id = '${literal}'; COMMIT`, literal,
      expected: [{ operation: 'begin', tables: [] }, { operation: 'delete', tables: [{ name: `t${i}`, access: 'write' }], hasWhere: true }, { operation: 'commit', tables: [] }]
    }
  }
}

t.test(`${STATEMENTS} distinct statements parse and normalize correctly in one process`, async t => {
  // A small cache, so nearly every call parses and the cache churns the whole time.
  const analyzer = await createSqlAnalyzer({ cacheSize: 500 })
  let wrong = 0
  let leaked = 0
  for (let i = 0; i < STATEMENTS; i++) {
    const { sql, expected, literal } = generate(i)
    const facts = analyzer.analyze(sql)
    if (JSON.stringify(facts.statements) !== JSON.stringify(expected)) {
      if (wrong++ === 0) t.same(facts.statements, expected, `first wrong answer: ${sql}`)
    }
    if (analyzer.normalize(sql).includes(literal)) leaked++
  }
  t.equal(wrong, 0, 'every analysis right')
  t.equal(leaked, 0, 'no literal in any normalized text')
  t.ok(analyzer.cacheStats().entries <= 500, 'cache bounded')
  t.same(analyzer.analyze('SELECT * FROM t').statements, [{ operation: 'select', tables: [{ name: 't', access: 'read' }] }], 'still answering afterwards')
})
