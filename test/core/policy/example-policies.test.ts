import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { checkPolicyDir, runPolicyTests } from '../../../src/core/policy/index.js'
import { createSqlAnalyzer } from '../../../src/protocols/postgres/sql/index.js'

const EXAMPLES = fileURLToPath(new URL('../../../policies', import.meta.url))

t.test('the example policy set loads without problems and its tests pass', async (t) => {
  const analyzer = await createSqlAnalyzer()
  const { set, problems } = await checkPolicyDir(EXAMPLES, { defaultAction: 'deny' })
  t.same(problems, [])
  if (set === undefined) return
  const kinds = new Set<string>()
  t.ok(set.ruleCount >= 10, 'one file per rule kind')
  const report = await runPolicyTests(EXAMPLES, set, { analyzeSql: (s) => analyzer.analyze(s) })
  t.same(report.problems, [])
  for (const r of report.results) {
    t.ok(r.passed, `${r.name}${r.failures.length > 0 ? `: ${r.failures.join('; ')}` : ''}`)
    if (r.decision.masks.length > 0) kinds.add('mask')
    for (const l of r.decision.limits) kinds.add(`limit:${l.rule}`)
    if (r.decision.shadow.length > 0) kinds.add('shadow')
    kinds.add(r.decision.action)
  }
  t.ok(report.passed >= 15)
  t.equal(report.failed, 0)
  t.same([...kinds].sort(), ['allow', 'deny', 'limit:analysts-llm-budget', 'mask', 'require_approval', 'shadow'], 'the tests exercise every rule kind')
})

t.test('a wrong expectation in the example tests is reported as expected vs got', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-policy-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await cp(EXAMPLES, dir, { recursive: true })
  await writeFile(join(dir, 'tests', 'wrong.yaml'), `
- name: contractors may drop tables (wrong on purpose)
  event: { protocol: postgres, target: analytics, identity: { sub: bob, groups: [contractors] }, sql: "DROP TABLE customers" }
  expect: { action: allow, rules: [allow-reads] }
`)
  const analyzer = await createSqlAnalyzer()
  const { set } = await checkPolicyDir(dir, { defaultAction: 'deny' })
  if (set === undefined) return t.fail('set did not load')
  const report = await runPolicyTests(dir, set, { analyzeSql: (s) => analyzer.analyze(s) })
  const failed = report.results.filter((r) => !r.passed)
  t.equal(failed.length, 1)
  t.equal(failed[0].at.file, join(dir, 'tests', 'wrong.yaml'))
  t.equal(failed[0].at.line, 2)
  t.same(failed[0].failures, ['action: expected allow, got deny', 'rules: expected [allow-reads], got [deny-ddl-for-contractors]'])
})
