import t from 'tap'
import { createSqlAnalyzer } from '../../../src/protocols/postgres/sql/index.js'
import { compileRules, event, stmt } from './policy-fixtures.js'

const RULES = `
id: read-customers
match: { sql: { operations: [select], tables: [customers] } }
action: allow
---
id: no-drops
match: { identity: { groups: [contractors] }, sql: { operations: [ddl:drop] } }
action: deny
---
id: payroll-needs-approval
match: { identity: { groups: [analysts] }, sql: { tables: [payroll] } }
action: require_approval
approval: { approvers: { groups: [hr] } }
---
id: mask-customers
match: { sql: { tables: [customers] } }
action: mask
mask: { columns: [customers.email] }
`

t.test('a statement that did not parse', async (t) => {
  const set = compileRules(RULES)
  const unknown = [stmt('unknown')]
  t.test('matches a deny rule that restricts by operation', async (t) => {
    const d = set.decide(event({ groups: ['contractors'], statements: unknown }))
    t.equal(d.action, 'deny')
    t.same(d.rules, ['no-drops'])
  })
  t.test('matches a require_approval rule that restricts by table', async (t) => {
    const d = set.decide(event({ groups: ['analysts'], statements: unknown }))
    t.equal(d.action, 'require_approval')
    t.same(d.rules, ['payroll-needs-approval'])
  })
  t.test('is never matched by an allow rule listing operations and tables', async (t) => {
    const d = set.decide(event({ groups: ['others'], statements: unknown }))
    t.equal(d.action, 'deny')
    t.same(d.rules, [], 'the default decided')
  })
  t.test('gets the masks of rules that restrict by table', async (t) => {
    const d = set.decide(event({ groups: ['others'], statements: unknown }))
    t.same(d.masks, [], 'denied: nothing to mask')
    const open = compileRules(RULES, { defaultAction: 'allow' })
    t.same(open.decide(event({ groups: ['others'], statements: unknown })).masks.map((m) => m.rule), ['mask-customers'])
  })
  t.test('next to a statement that parsed, still keeps the allow rule from holding', async (t) => {
    const d = set.decide(event({ statements: [stmt('select', ['customers']), stmt('unknown')] }))
    t.equal(d.action, 'deny')
  })
  t.test('is allowed only by a rule that names unknown or does not restrict SQL', async (t) => {
    const explicit = compileRules('id: yolo\nmatch: { sql: { operations: [unknown] } }\naction: allow\n')
    t.equal(explicit.decide(event({ statements: unknown })).action, 'allow')
    const anything = compileRules('id: dba\nmatch: { identity: { groups: [dba] } }\naction: allow\n')
    t.equal(anything.decide(event({ groups: ['dba'], statements: unknown })).action, 'allow')
  })
})

t.test('an UPDATE whose WHERE is unknown counts as unbounded for restrictive rules only', async (t) => {
  const set = compileRules(`
id: no-unbounded
match: { sql: { without_where: true } }
action: deny
---
id: bounded-ok
match: { sql: { operations: [update], without_where: false } }
action: allow
`)
  const d = set.decide(event({ statements: [stmt('update', ['t'])] }))
  t.same(d.rules, ['no-unbounded'])
  t.same(set.decide(event({ statements: [stmt('update', ['t'], { hasWhere: true })] })).rules, ['bounded-ok'])
})

t.test('an LLM request without a model: deny rules on models hold, allow rules do not', async (t) => {
  const set = compileRules(`
id: no-big-models
match: { identity: { groups: [interns] }, llm: { model: ['gpt-4.5*'] } }
action: deny
---
id: small-models
match: { llm: { model: ['gpt-4o-mini'] } }
action: allow
`)
  t.same(set.decide(event({ groups: ['interns'], llm: {} })).rules, ['no-big-models'])
  t.same(set.decide(event({ groups: ['staff'], llm: {} })).rules, [])
  t.same(set.decide(event({ groups: ['staff'], llm: { model: 'gpt-4o-mini' } })).rules, ['small-models'])
})

t.test('with the real SQL analyzer, garbage and tricks fail closed', async (t) => {
  const analyzer = await createSqlAnalyzer({ cacheSize: 0 })
  const set = compileRules(RULES)
  const decide = (sql: string, groups: string[]) => set.decide({ ...event({ groups }), sql: analyzer.analyze(sql) })
  t.equal(decide('SELEKT * FROM customers', ['others']).action, 'deny', 'a typo is not a select')
  t.equal(decide('DROP TABLE orders CASCADE NONSENSE', ['contractors']).rules[0], 'no-drops')
  t.equal(decide('SELECT * FROM customers; DROP TABLE customers', ['contractors']).rules[0], 'no-drops', 'second statement')
  t.equal(decide('SELECT * FROM customers\0; DROP TABLE customers', ['others']).action, 'deny', 'a NUL byte hides nothing')
  t.equal(decide('SELECT email FROM customers', ['others']).action, 'allow', 'control: a plain read is allowed')
})
