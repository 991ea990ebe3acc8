import t from 'tap'
import pg from 'pg'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGatewayFixture } from '../gateway-fixture.js'
import { createIdentityVerifier, mintDevToken } from '../../../../src/core/identity/index.js'
import { createPolicyStore } from '../../../../src/core/policy/index.js'
import { createAuditLog, verifyAuditFile } from '../../../../src/core/audit/index.js'
import { createSqlAnalyzer } from '../../../../src/protocols/postgres/sql/index.js'

// gatehouse's own identity (dev issuer), policy store and audit log in front of a real PostgreSQL.
const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pg-e2e-'))
t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
const policiesDir = join(dir, 'policies')
await mkdir(policiesDir)
await writeFile(join(policiesDir, 'allow-reads.yaml'), `id: allow-reads
match:
  protocol: postgres
  target: [analytics]
  identity: { groups: [analysts, contractors] }
  sql: { operations: [select, begin, commit, rollback, set, show], tables: [items, 'pg_catalog.*'] }
action: allow
`)
await writeFile(join(policiesDir, 'deny-ddl-for-contractors.yaml'), `id: deny-ddl-for-contractors
match:
  protocol: postgres
  identity: { groups: [contractors] }
  sql: { operations: [ddl:create, ddl:drop, truncate] }
action: deny
message: Schema changes go through a migration review.
`)
const auditFile = join(dir, 'audit.log')
const analyzer = await createSqlAnalyzer()

const gw = await startGatewayFixture(t, {
  services: async (_config, log) => {
    const identity = await createIdentityVerifier({ oidc: [], apiKeys: [], devIssuer: true }, { dataDir: dir, log })
    const audit = await createAuditLog({ sinks: [{ type: 'file', path: auditFile }], recordSessions: false }, { log, dataDir: dir })
    const policy = await createPolicyStore({ dir: policiesDir, defaultAction: 'deny', reloadRequiresTests: false, log, analyzeSql: (text) => analyzer.analyze(text), watch: false })
    t.teardown(async () => { await policy.close(); await audit.close(); await identity.close?.() })
    return { identity, audit, policy }
  }
})

const setup = new pg.Client({ host: gw.pg.host, port: gw.pg.port, user: gw.pg.user, password: gw.pg.password, database: 'postgres' })
await setup.connect()
await setup.query("create table items (id int, name text); insert into items values (1, 'lamp'), (2, 'desk')")
await setup.end()

const token = async (sub: string, groups: string[], ttlS = 300): Promise<string> => await mintDevToken({ dataDir: dir, sub, groups, ttlS })
const session = async (password: string): Promise<pg.Client> => {
  const c = new pg.Client({ connectionString: gw.url({ password }) })
  await c.connect()
  t.teardown(async () => { await c.end().catch(() => {}) })
  return c
}

t.test('an analyst with a dev-issuer token reads what the policy allows, in both protocols', async (t) => {
  const c = await session(await token('alice', ['analysts']))
  t.same((await c.query('select name from items order by id')).rows, [{ name: 'lamp' }, { name: 'desk' }])
  t.same((await c.query('select name from items where id = $1', [2])).rows, [{ name: 'desk' }])
})

t.test('the default deny names no rule; a deny rule is named with its message; the session goes on', async (t) => {
  const alice = await session(await token('alice', ['analysts']))
  await t.rejects(alice.query('select * from pg_stat_activity, items'), { code: '42501', message: /policies\.default is deny/ })
  const bob = await session(await token('bob', ['contractors']))
  await t.rejects(bob.query('drop table items'), { code: '42501', message: 'Schema changes go through a migration review. (rule deny-ddl-for-contractors)' })
  await t.rejects(bob.query('truncate items'), { code: '42501' })
  t.equal((await bob.query('select count(*)::int as n from items')).rows[0].n, 2, 'nothing was dropped or truncated')
})

t.test('an expired or foreign token is refused with 28P01', async (t) => {
  const expired = await token('alice', ['analysts'], -120)
  await t.rejects(session(expired), { code: '28P01' })
  await t.rejects(session('eyJhbGciOiJub25lIn0.e30.'), { code: '28P01' })
})

t.test('every decision is one chained audit line with literal-free SQL', async (t) => {
  const c = await session(await token('carol', ['analysts']))
  await c.query("select id from items where name = 'lamp' or name = 'lamp-secret-literal'")
  await new Promise((resolve) => setTimeout(resolve, 200))
  const text = await readFile(auditFile, 'utf8')
  t.notMatch(text, /lamp-secret-literal/, 'literals never reach the audit log')
  const lines = text.trim().split('\n').map((l) => JSON.parse(l))
  const carols = lines.filter((l) => JSON.stringify(l).includes('carol'))
  t.equal(carols.length, 1, 'one line for the one statement')
  t.match(carols[0], { usage: { rows: 1 }, latencyMs: Number })
  t.ok(lines.some((l) => JSON.stringify(l).includes('deny-ddl-for-contractors')))
  t.match(await verifyAuditFile(auditFile), { ok: true })
})
