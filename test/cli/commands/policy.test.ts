import { execFile } from 'node:child_process'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const bin = join(root, 'bin', 'gatehouse.js')

interface Run { code: number; stdout: string; stderr: string }

/** `gatehouse ARGS` in `cwd` (an empty temp dir: dev-mode config), with `input` on stdin. */
function gatehouse (cwd: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
    child.stdin?.end(input ?? '')
  })
}

const cwd = await mkdtemp(join(tmpdir(), 'gh-policy-cli-'))
t.teardown(() => rm(cwd, { recursive: true, force: true }))
await cp(join(root, 'policies'), join(cwd, 'policies'), { recursive: true })

t.test('policy check: OK summary for the example set', async (t) => {
  const r = await gatehouse(cwd, ['policy', 'check'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^OK: 13 rules in 13 files, revision sha256:[0-9a-f]{16}\n$/)
  t.equal(r.stderr, '')
})

t.test('policy check DIR: every problem as path:line:col on stderr, exit 1', async (t) => {
  const dir = join(cwd, 'broken')
  await cp(join(cwd, 'policies'), dir, { recursive: true })
  await writeFile(join(dir, 'typo.yaml'), 'id: typo\naction: deny\nmatch: { identity: { grups: [x] } }\n')
  await writeFile(join(dir, 'allow-dba.yaml'), 'id: allow-reads\naction: allow\n')
  const r = await gatehouse(cwd, ['policy', 'check', 'broken'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.same(r.stderr.trim().split('\n'), [
    'broken/allow-reads.yaml:1:5: duplicate rule id \'allow-reads\': first defined at broken/allow-dba.yaml:1:5',
    "broken/typo.yaml:3:22: unknown key 'grups' in match.identity (did you mean 'groups'?)",
    '2 problems in broken'
  ])
})

t.test('policy test: the example tests pass, last line is the summary', async (t) => {
  const r = await gatehouse(cwd, ['policy', 'test', 'policies'])
  t.equal(r.code, 0, r.stdout + r.stderr)
  const lines = r.stdout.trim().split('\n')
  t.match(lines.at(-1), /^\d+ passed, 0 failed$/)
})

t.test('policy test: a failing case prints expected vs got and exits 1', async (t) => {
  const dir = join(cwd, 'failing')
  await cp(join(cwd, 'policies'), dir, { recursive: true })
  await writeFile(join(dir, 'tests', 'zz-wrong.yaml'), `- name: contractors may read payroll
  event: { protocol: postgres, target: analytics, identity: { sub: bob, groups: [contractors] }, sql: "SELECT * FROM payroll" }
  expect: { action: allow }
`)
  const r = await gatehouse(cwd, ['policy', 'test', 'failing'])
  t.equal(r.code, 1)
  t.match(r.stdout, 'FAIL failing/tests/zz-wrong.yaml:1:3: contractors may read payroll\n  action: expected allow, got deny\n')
  t.match(r.stdout.trim().split('\n').at(-1), /^\d+ passed, 1 failed$/)
})

t.test('policy test: no tests is a failure', async (t) => {
  const dir = join(cwd, 'untested')
  await cp(join(cwd, 'policies'), dir, { recursive: true })
  await rm(join(dir, 'tests'), { recursive: true })
  const r = await gatehouse(cwd, ['policy', 'test', 'untested'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '0 passed, 0 failed\n')
  t.match(r.stderr, 'no policy tests in untested/tests')
})

t.test('policy explain: reads the event from stdin and prints the decision', async (t) => {
  const ev = { protocol: 'postgres', target: 'analytics', identity: { sub: 'bob', groups: ['contractors'] }, sql: 'DROP TABLE customers' }
  const r = await gatehouse(cwd, ['policy', 'explain'], JSON.stringify(ev))
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^action: {3}deny\nrules: {4}deny-ddl-for-contractors\nmessage: {2}Schema changes go through a migration review\.\n/)
  t.match(r.stdout, 'sql:      ddl:drop customers(write)')

  const json = await gatehouse(cwd, ['policy', 'explain', '--json', '--dir', 'policies'], JSON.stringify({ ...ev, sql: 'SELECT email FROM customers' }))
  const d = JSON.parse(json.stdout)
  t.equal(d.action, 'allow')
  t.same(d.rules, ['allow-reads'])
  t.same(d.masks.map((m: { rule: string }) => m.rule), ['mask-employee-ids', 'mask-pii'])
})

t.test('policy explain: a bad event is reported with line:col', async (t) => {
  const r = await gatehouse(cwd, ['policy', 'explain'], '{"protocol": "postgress", "target": "analytics", "identity": {"sub": "a"}}')
  t.equal(r.code, 1)
  t.equal(r.stderr, "<stdin>:1:14: event.protocol must be one of postgres, http-llm, got 'postgress' (did you mean 'postgres'?)\n")
})
