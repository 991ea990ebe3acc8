import t from 'tap'
import { SQL_OPERATIONS } from '../../../src/core/policy/index.js'
import { SQL_OPERATIONS as ANALYZER_OPERATIONS } from '../../../src/protocols/postgres/sql/index.js'
import { problemsOf } from './policy-fixtures.js'

t.test('policy files accept exactly the operations the SQL analyzer reports', async (t) => {
  t.same([...SQL_OPERATIONS].sort(), [...ANALYZER_OPERATIONS].sort())
  const rule = `id: a\naction: deny\nmatch: { sql: { operations: [${ANALYZER_OPERATIONS.map((o) => `'${o}'`).join(', ')}] } }\n`
  t.same(problemsOf({ 'a.yaml': rule }), [])
})
