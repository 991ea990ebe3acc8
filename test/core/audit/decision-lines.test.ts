import t, { type Test } from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createAuditLog, GENESIS_HASH } from '../../../src/core/audit/index.js'
import { createLogger } from '../../../src/core/log/index.js'
import { sampleEntry } from './sample-entry.js'

const log = createLogger({ level: 'silent', destination: { write: () => {} } })

async function writeLines (t: Test, record: (audit: Awaited<ReturnType<typeof createAuditLog>>) => void): Promise<Array<Record<string, unknown>>> {
  const dir = t.testdir()
  const path = join(dir, 'nested', 'dir', 'audit.log')
  const audit = await createAuditLog({ sinks: [{ type: 'file', path }], recordSessions: false }, { log, dataDir: dir })
  record(audit)
  await audit.close()
  const text = await readFile(path, 'utf8')
  t.ok(text.endsWith('\n'), 'each line ends with a newline')
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
}

t.test('a decision is one JSON line with every audit field', async (t) => {
  const [line] = await writeLines(t, (a) => a.record(sampleEntry(1)))
  t.match(line, {
    time: /^\d{4}-\d\d-\d\dT/,
    seq: 1,
    prev: GENESIS_HASH,
    hash: /^[0-9a-f]{64}$/,
    kind: 'decision',
    session: 'sess-1',
    requestId: 'req-1',
    identity: { sub: 'alice', iss: 'https://idp.example.com/', groups: ['analysts'], via: 'oidc' },
    protocol: 'postgres',
    target: 'analytics',
    action: 'allow',
    rules: ['allow-analysts'],
    shadow: ['shadow-no-pii'],
    policyRevision: 'abc123',
    summary: { sql: 'SELECT * FROM customers WHERE id = $1' },
    masked: { EMAIL: 2 },
    usage: { rows: 3 },
    latencyMs: 1.5
  })
  t.equal(Object.keys(line).at(-1), 'hash', 'hash is the last field')
})

t.test('no token, claim, raw SQL, parameter or secret reaches the line', async (t) => {
  const entry = sampleEntry(1, { summary: { sql: 'SELECT 1', headers: { authorization: 'Bearer sekrit-bearer' }, password: 'hunter2' } })
  // What a careless caller might hand over: the whole verified token payload spread into the identity.
  Object.assign(entry.event.identity, { email: 'alice@example.com', token: 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2ln', claims: { ssn: '123-45-6789' } })
  entry.event.sql = { text: "ALTER ROLE app PASSWORD 'raw-password'", statements: [], params: ['param-secret'] }
  const [line] = await writeLines(t, (a) => a.record(entry))
  const text = JSON.stringify(line)
  for (const secret of ['eyJhbGci', 'alice@example.com', '123-45-6789', 'raw-password', 'param-secret', 'sekrit-bearer', 'hunter2', 'expiresAt', '1900000000']) {
    t.notOk(text.includes(secret), `absent: ${secret}`)
  }
  t.same(line.identity, { sub: 'alice', iss: 'https://idp.example.com/', groups: ['analysts'], via: 'oidc' })
  t.match(line.summary, { sql: 'SELECT 1', headers: { authorization: '[redacted]' }, password: '[redacted]' })
})

t.test('system events are chained lines too', async (t) => {
  const lines = await writeLines(t, (a) => {
    a.system('start', { version: '0.1.0' })
    a.record(sampleEntry(1))
    a.system('policy_reload_failed', { error: new Error('policies/x.yaml:3:1: unknown key') })
  })
  t.match(lines, [
    { seq: 1, kind: 'system', event: 'start', data: { version: '0.1.0' } },
    { seq: 2, kind: 'decision', prev: lines[0].hash },
    { seq: 3, kind: 'system', event: 'policy_reload_failed', data: { error: 'policies/x.yaml:3:1: unknown key' }, prev: lines[1].hash }
  ])
})

t.test('a huge summary string is cut, not written whole', async (t) => {
  const [line] = await writeLines(t, (a) => a.record(sampleEntry(1, { summary: { sql: `SELECT '${'x'.repeat(100_000)}'` } })))
  const sql = (line.summary as { sql: string }).sql
  t.ok(sql.length < 5000)
  t.match(sql, /…\[\+\d+ chars\]$/)
})

t.test('stats count lines and the chain position', async (t) => {
  const dir = t.testdir()
  const audit = await createAuditLog({ sinks: [{ type: 'file', path: join(dir, 'a.log') }], recordSessions: false }, { log, dataDir: dir })
  for (let i = 1; i <= 3; i++) audit.record(sampleEntry(i))
  t.same(audit.stats(), { lines: 3, seq: 3, dropped: { [`file:${join(dir, 'a.log')}`]: 0 } })
  await audit.close()
})

t.test('a bigint in a summary is written as its exact digits', async (t) => {
  const [line] = await writeLines(t, (a) => a.record(sampleEntry(1, { summary: { rows: 12345678901234567890n } })))
  t.same(line.summary, { rows: '12345678901234567890' })
})

t.test('the same sink listed twice stops start-up', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'audit.log')
  await t.rejects(createAuditLog({ sinks: [{ type: 'file', path }, { type: 'file', path: `${dir}/./audit.log` }], recordSessions: false }, { log, dataDir: dir }),
    { code: 'GH_CONFIG', message: /listed more than once/ })
})
