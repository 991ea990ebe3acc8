import fc from 'fast-check'
import t from 'tap'
import type { SqlStatement } from '../../../src/core/events/index.js'
import { compilePolicySet } from '../../../src/core/policy/index.js'
import { event, stmt } from './policy-fixtures.js'

// Random rule sets over a small vocabulary, so rules and statements actually meet. No rule lists the
// operation `unknown`: an allow rule naming it opts in to unparseable SQL on purpose.
const OPS = ['select', 'insert', 'update', 'delete', 'ddl:drop'] as const
const TABLES = ['customers', 'orders', 'public.payroll', 'audit.*'] as const
const GROUPS = ['analysts', 'contractors'] as const
const ACTIONS = ['allow', 'deny', 'require_approval', 'mask', 'rate_limit'] as const

const ruleArb = fc.record({
  action: fc.constantFrom(...ACTIONS),
  groups: fc.option(fc.subarray([...GROUPS], { minLength: 1 }), { nil: undefined }),
  operations: fc.option(fc.subarray([...OPS], { minLength: 1 }), { nil: undefined }),
  tables: fc.option(fc.subarray([...TABLES], { minLength: 1 }), { nil: undefined }),
  withoutWhere: fc.option(fc.boolean(), { nil: undefined }),
  shadow: fc.boolean()
})

type RuleInput = typeof ruleArb extends fc.Arbitrary<infer R> ? R : never

function ruleYaml (r: RuleInput, i: number): string {
  const sql: string[] = []
  if (r.operations !== undefined) sql.push(`operations: [${r.operations.map((o) => `'${o}'`).join(', ')}]`)
  if (r.tables !== undefined) sql.push(`tables: [${r.tables.map((x) => `'${x}'`).join(', ')}]`)
  if (r.withoutWhere !== undefined) sql.push(`without_where: ${r.withoutWhere}`)
  const match: string[] = []
  if (r.groups !== undefined) match.push(`identity: { groups: [${r.groups.join(', ')}] }`)
  if (sql.length > 0) match.push(`sql: { ${sql.join(', ')} }`)
  const block = r.action === 'mask' ? '\nmask: { columns: [customers.email] }'
    : r.action === 'rate_limit' ? '\nlimit: { requests: 1/s }'
      : r.action === 'require_approval' ? '\napproval: { approvers: { groups: [dba] } }' : ''
  return `id: r${i}\nmatch: { ${match.join(', ')} }\naction: ${r.action}${block}${r.shadow ? '\nmode: shadow' : ''}`
}

const statementArb = fc.record({
  operation: fc.constantFrom('select', 'insert', 'update', 'delete', 'ddl:drop'),
  tables: fc.subarray(['customers', 'orders', 'payroll', 'audit.log', 'other']),
  hasWhere: fc.option(fc.boolean(), { nil: undefined })
}).map((s): SqlStatement => stmt(s.operation, s.tables, s.hasWhere === undefined ? {} : { hasWhere: s.hasWhere }))

// What fail-closed promises: garbage is never allowed where the parsed query was not, and what an
// explicit deny rule refused stays refused. (It may ask for approval where the parsed query fell to a
// default deny: restrictive rules match unknown SQL, and a person then decides.)
t.test('replacing a statement by one that did not parse never allows more', async (t) => {
  fc.assert(fc.property(
    fc.array(ruleArb, { minLength: 1, maxLength: 8 }),
    fc.array(statementArb, { minLength: 1, maxLength: 3 }),
    fc.nat(),
    fc.subarray([...GROUPS]),
    fc.constantFrom('allow', 'deny'),
    (rules, statements, which, groups, defaultAction) => {
      const { set } = compilePolicySet([{ file: 'p.yaml', text: rules.map(ruleYaml).join('\n---\n') }], { defaultAction, revision: 'r' })
      // Sets with problems (e.g. a rule shadowed by a deny) are rejected before they could decide.
      if (set === undefined) return true
      const garbled = statements.map((s, i) => (i === which % statements.length ? stmt('unknown') : s))
      const before = set.decide(event({ groups, statements }))
      const after = set.decide(event({ groups, statements: garbled }))
      if (after.action === 'allow' && before.action !== 'allow') return false
      if (before.action === 'deny' && before.rules.length > 0 && after.action !== 'deny') return false
      return true
    }
  ), { numRuns: 3000 })
  t.pass('held for 3000 random rule sets and queries')
})

t.test('compiling arbitrary text reports problems and never throws', async (t) => {
  const yamlish = fc.stringMatching(/^[a-z_:{}[\]\-, '"\n#&*!|>0-9.\\]{0,120}$/)
  fc.assert(fc.property(fc.oneof(fc.string(), yamlish), (text) => {
    const r = compilePolicySet([{ file: 'x.yaml', text }], { defaultAction: 'deny', revision: 'r' })
    return r.set !== undefined || r.problems.every((p) => p.line >= 1 && p.col >= 1 && p.message.length > 0)
  }), { numRuns: 3000 })
  t.pass('no exception for 3000 random inputs')
})
