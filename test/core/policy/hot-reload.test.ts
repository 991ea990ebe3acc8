import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import type { AuditLog, SystemEventKind } from '../../../src/core/audit/index.js'
import { PolicyLoadError } from '../../../src/core/errors.js'
import { contentRevision, createPolicyStore, type PolicyStore } from '../../../src/core/policy/index.js'
import { createSqlAnalyzer } from '../../../src/protocols/postgres/sql/index.js'
import { event, stmt } from './policy-fixtures.js'

const analyzer = await createSqlAnalyzer()
const ALLOW_SELECT = 'id: reads\nmatch: { sql: { operations: [select] } }\naction: allow\n'
const ALLOW_ALL = 'id: reads\naction: allow\n'
const BROKEN = 'id: reads\nmatch: { sql: { operations: [selekt] } }\naction: allow\n'

/** An audit log that lets a test wait for the next system event of a kind. */
class RecordingAudit implements Pick<AuditLog, 'system'> {
  readonly events: Array<{ kind: SystemEventKind; data: Record<string, unknown> }> = []
  #waiters: Array<{ kind: SystemEventKind; test: (d: Record<string, unknown>) => boolean; resolve: (d: Record<string, unknown>) => void }> = []
  system (kind: SystemEventKind, data: Record<string, unknown>): void {
    this.events.push({ kind, data })
    this.#waiters = this.#waiters.filter((w) => {
      if (w.kind !== kind || !w.test(data)) return true
      w.resolve(data)
      return false
    })
  }
  next (kind: SystemEventKind, test: (d: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.#waiters.push({ kind, test, resolve }))
  }
}

async function setup (t: { teardown (fn: () => unknown): void }, files: Record<string, string>, opts: { watch?: boolean; reloadRequiresTests?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'gh-policy-reload-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  const lines: string[] = []
  const log = pino({ level: 'info' }, new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } }))
  const audit = new RecordingAudit()
  const store: PolicyStore = await createPolicyStore({
    dir, defaultAction: 'deny', reloadRequiresTests: opts.reloadRequiresTests ?? false, log, audit,
    analyzeSql: (s) => analyzer.analyze(s), watch: opts.watch ?? true, debounceMs: 50
  })
  t.teardown(() => store.close())
  return { dir, store, audit, lines }
}

const ddl = event({ statements: [stmt('ddl:drop', ['t'])] })
const select = event({ statements: [stmt('select', ['t'])] })

t.test('a good change on disk is applied', async (t) => {
  const { dir, store, audit } = await setup(t, { 'reads.yaml': ALLOW_SELECT })
  t.equal(store.current().decide(ddl).action, 'deny')
  const reloaded = audit.next('policy_reload')
  await writeFile(join(dir, 'reads.yaml'), ALLOW_ALL)
  const data = await reloaded
  t.equal(store.current().decide(ddl).action, 'allow')
  t.equal(data.revision, store.current().revision)
  t.equal(store.status().lastError, undefined)
  t.equal(store.status().rules, 1)
})

t.test('deleting a rule file and adding one in a new subdirectory are both picked up', async (t) => {
  const { dir, store, audit } = await setup(t, { 'reads.yaml': ALLOW_SELECT, 'drops.yaml': 'id: drops\nmatch: { sql: { operations: [ddl:drop] } }\naction: allow\n' })
  t.equal(store.current().decide(ddl).action, 'allow')
  const removed = audit.next('policy_reload', (d) => d.rules === 1)
  await rm(join(dir, 'drops.yaml'))
  await removed
  t.equal(store.current().decide(ddl).action, 'deny')
  const added = audit.next('policy_reload', (d) => d.rules === 2)
  await mkdir(join(dir, 'team', 'dba'), { recursive: true })
  await writeFile(join(dir, 'team', 'dba', 'drops.yaml'), 'id: dba-drops\nmatch: { sql: { operations: [ddl:drop] } }\naction: allow\n')
  await added
  t.same(store.current().decide(ddl).rules, ['dba-drops'])
})

t.test('a broken change is rejected, reported, and the last good set stays', async (t) => {
  const { dir, store, audit, lines } = await setup(t, { 'reads.yaml': ALLOW_SELECT })
  const good = store.current()
  const failed = audit.next('policy_reload_failed')
  await writeFile(join(dir, 'reads.yaml'), BROKEN)
  const data = await failed
  const problem = `${join(dir, 'reads.yaml')}:2:30: unknown sql operation 'selekt' (did you mean 'select'?)`
  t.same(data.problems, [problem])
  t.equal(data.kept, good.revision)
  t.equal(store.current(), good, 'the same set object is still current')
  t.equal(store.current().decide(select).action, 'allow')
  t.same(store.status().lastError, [problem])
  t.ok(lines.some((l) => l.includes('policy reload failed') && l.includes('selekt')), 'the problem is logged')

  const fixed = audit.next('policy_reload')
  await writeFile(join(dir, 'reads.yaml'), ALLOW_ALL)
  await fixed
  t.equal(store.status().lastError, undefined, 'a good reload clears the error')
})

t.test('a burst of edits ends on the final content', async (t) => {
  const { dir, store, audit } = await setup(t, { 'reads.yaml': ALLOW_SELECT })
  const finalText = 'id: reads\nmatch: { sql: { operations: [select, ddl:drop] } }\naction: allow\nmessage: final\n'
  const finalRevision = contentRevision([{ file: join(dir, 'reads.yaml'), rel: 'reads.yaml', text: finalText }])
  const settled = audit.next('policy_reload', (d) => d.revision === finalRevision)
  for (let i = 0; i < 20; i++) await writeFile(join(dir, 'reads.yaml'), i % 3 === 0 ? BROKEN : `${ALLOW_SELECT}message: v${i}\n`)
  await writeFile(join(dir, 'reads.yaml'), finalText)
  await settled
  const d = store.current().decide(ddl)
  t.equal(d.action, 'allow')
  t.equal(d.message, 'final')
  t.equal(store.current().revision, finalRevision)
})

t.test('reload() (SIGHUP) applies changes without a watcher and reports problems', async (t) => {
  const { dir, store } = await setup(t, { 'reads.yaml': ALLOW_SELECT }, { watch: false })
  const before = store.current()
  await writeFile(join(dir, 'reads.yaml'), BROKEN)
  const bad = await store.reload()
  t.equal(bad.ok, false)
  t.match(bad, { problems: [/reads\.yaml:2:30: unknown sql operation 'selekt'/] })
  t.equal(store.current(), before)

  await writeFile(join(dir, 'more.yaml'), 'id: drops\nmatch: { sql: { operations: [ddl:drop] } }\naction: allow\n')
  await writeFile(join(dir, 'reads.yaml'), ALLOW_SELECT)
  const results = await Promise.all([store.reload(), store.reload(), store.reload()])
  t.ok(results.every((r) => r.ok), 'concurrent reloads all succeed')
  t.equal(store.status().rules, 2)
  t.equal(store.current().decide(ddl).action, 'allow')
  t.equal(before.decide(ddl).action, 'deny', 'a request holding the old set still decides with it')
})

t.test('with reload_requires_tests a change that fails its tests is rejected', async (t) => {
  const tests = `
- name: drops are refused
  event: { protocol: postgres, target: analytics, identity: { sub: a }, sql: "DROP TABLE t" }
  expect: { action: deny, rules: [] }
`
  const { dir, store } = await setup(t, { 'reads.yaml': ALLOW_SELECT, 'tests/t.yaml': tests }, { watch: false, reloadRequiresTests: true })
  await writeFile(join(dir, 'reads.yaml'), ALLOW_ALL)
  const r = await store.reload()
  t.same(r, { ok: false, problems: [`${join(dir, 'tests', 't.yaml')}:2:3: test 'drops are refused' failed: action: expected deny, got allow; rules: expected [], got [reads]`] })
  t.equal(store.current().decide(ddl).action, 'deny')
})

t.test('start-up refuses a broken set with every problem', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-policy-start-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'a.yaml'), BROKEN)
  await writeFile(join(dir, 'b.yaml'), 'id: reads\naction: deny\n')
  const err = await createPolicyStore({
    dir, defaultAction: 'deny', reloadRequiresTests: false, log: pino({ level: 'silent' }), analyzeSql: (s) => analyzer.analyze(s), watch: false
  }).catch((e: unknown) => e)
  t.ok(err instanceof PolicyLoadError)
  t.equal((err as PolicyLoadError).code, 'GH_POLICY_LOAD')
  t.same((err as PolicyLoadError).problems, [
    `${join(dir, 'a.yaml')}:2:30: unknown sql operation 'selekt' (did you mean 'select'?)`,
    `${join(dir, 'b.yaml')}:1:5: duplicate rule id 'reads': first defined at ${join(dir, 'a.yaml')}:1:5`
  ])
})

t.test('start-up refuses a missing or empty dir', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-policy-empty-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const opts = { defaultAction: 'deny' as const, reloadRequiresTests: false, log: pino({ level: 'silent' }), analyzeSql: (s: string) => analyzer.analyze(s), watch: false }
  const problemsOf = (dir: string) => createPolicyStore({ ...opts, dir }).then(() => [], (e: PolicyLoadError) => e.problems)
  t.same(await problemsOf(dir), [`${dir}: no policy files (*.yaml, *.yml) found`])
  t.same(await problemsOf(join(dir, 'nope')), [`${join(dir, 'nope')}: cannot read policies: no such file or directory`])
})
