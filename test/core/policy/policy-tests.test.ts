import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parseTestEvent, runPolicyTests, type SqlAnalyzer } from '../../../src/core/policy/index.js'
import { compileRules, stmt } from './policy-fixtures.js'

/** Enough of an analyzer for these tests: the first word is the operation, `FROM x` the table. */
const fakeAnalyze: SqlAnalyzer = (text) => ({
  text,
  statements: [stmt(text.split(' ')[0].toLowerCase(), [/from (\w+)/i.exec(text)?.[1] ?? ''].filter((x) => x !== ''))]
})

const RULES = `
id: reads
match: { sql: { operations: [select] } }
action: allow
message: reads are fine
---
id: budget
match: { protocol: http-llm }
action: rate_limit
limit: { requests: 5/min }
---
id: chat
match: { llm: { model: ['gpt-*'] } }
action: allow
---
id: watch-orders
match: { sql: { tables: [orders] } }
action: deny
mode: shadow
`

async function runTests (t: { teardown (fn: () => unknown): void }, files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'gh-policy-tests-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'tests'))
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, 'tests', name), text)
  return { dir, report: await runPolicyTests(dir, compileRules(RULES), { analyzeSql: fakeAnalyze }) }
}

t.test('every expectation field is compared, lists as sets', async (t) => {
  const { report } = await runTests(t, {
    'a.yaml': `
- name: all fields right
  event: { protocol: postgres, target: db, identity: { sub: a }, sql: "SELECT * FROM orders" }
  expect: { action: allow, rules: [reads], shadow: [watch-orders], masks: [], limits: [], message: reads are fine }
- name: llm with a budget
  event: { protocol: http-llm, target: openai, identity: { sub: a }, llm: { model: gpt-4o, text: hi } }
  expect: { action: allow, rules: [chat], limits: [budget] }
- name: all fields wrong
  event: { protocol: postgres, target: db, identity: { sub: a }, sql: "SELECT * FROM orders" }
  expect: { action: deny, rules: [other], shadow: [], masks: [m], limits: [budget], message: nope }
`
  })
  t.equal(report.passed, 2)
  t.equal(report.failed, 1)
  t.same(report.problems, [])
  const failed = report.results.find((r) => !r.passed)
  t.same(failed?.failures, [
    'action: expected deny, got allow',
    'rules: expected [other], got [reads]',
    'shadow: expected [], got [watch-orders]',
    'masks: expected [m], got []',
    'limits: expected [budget], got []',
    'message: expected "nope", got "reads are fine"'
  ])
  t.equal(failed?.at.line, 8)
})

t.test('broken cases are problems with line:col and count as failed; good cases still run', async (t) => {
  const { dir, report } = await runTests(t, {
    'a.yaml': `
- name: no expect
  event: { protocol: postgres, target: db, identity: { sub: a }, sql: "SELECT 1" }
- name: sql on an LLM event
  event: { protocol: http-llm, target: db, identity: { sub: a }, sql: "SELECT 1" }
  expect: { action: allow }
- name: fine
  event: { protocol: postgres, target: db, identity: { sub: a }, sql: "SELECT 1" }
  expect: { action: allow, rules: [reads] }
`,
    'b.yaml': 'name: not a list\n'
  })
  const a = join(dir, 'tests', 'a.yaml')
  t.same(report.problems, [
    `${a}:2:3: test case has no expect`,
    `${a}:5:66: event.sql needs protocol postgres`,
    `${join(dir, 'tests', 'b.yaml')}:1:1: a policy test file must be a list of {name, event, expect}`
  ])
  t.equal(report.passed, 1)
  t.equal(report.failed, 2)
})

t.test('an event for policy explain: JSON with line:col problems', async (t) => {
  const ok = parseTestEvent('e.json', JSON.stringify({ protocol: 'http-llm', target: 'openai', identity: { sub: 'a', groups: ['x'] }, llm: { provider: 'anthropic', model: 'claude-x', text: ['hi'], stream: true } }), fakeAnalyze)
  t.same(ok.problems, [])
  t.match(ok.event, { session: { protocol: 'http-llm', target: 'openai' }, identity: { sub: 'a', groups: ['x'], via: 'dev' }, llm: { provider: 'anthropic', route: '/v1/messages', model: 'claude-x', stream: true, text: ['hi'] } })
  const bad = parseTestEvent('e.json', '{\n  "protocol": "postgres",\n  "target": "db",\n  "identity": { "sub": "a", "grops": [] },\n  "llm": {}\n}', fakeAnalyze)
  t.same(bad.problems, [
    "e.json:4:29: unknown key 'grops' in event.identity (did you mean 'groups'?)",
    'e.json:5:3: event.llm needs protocol http-llm'
  ])
  t.equal(bad.event, undefined)
})
