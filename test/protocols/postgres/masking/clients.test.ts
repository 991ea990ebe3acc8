import t from 'tap'
import 'reflect-metadata'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import Cursor from 'pg-cursor'
import postgres from 'postgres'
import { DataSource } from 'typeorm'
import { SqlDatabase } from '@langchain/classic/sql_db'
import { startDevDatabase } from '../../../../src/core/config/index.js'
import { createPolicyStore } from '../../../../src/core/policy/index.js'
import { detectEntities } from '../../../../src/core/pii/index.js'
import { createSqlAnalyzer } from '../../../../src/protocols/postgres/sql/index.js'
import { startGatewayFixture, TOKEN } from '../gateway-fixture.js'
import { startByteTap } from '../byte-tap.js'
import { hasPsql, PSQL, runPsql } from '../../../helpers/psql.js'

// The clients users run, reading the dev database's customers through gatehouse under the example
// policies (policies/mask-pii.yaml masks customers.email, phone, card_number and ssn, and PII anywhere).
// A byte tap records everything the clients received: no raw value may be in it.

const dir = await mkdtemp(join(tmpdir(), 'gatehouse-mask-clients-'))
await chmod(dir, 0o755)
const dev = await startDevDatabase({ dataDir: dir })
t.teardown(async () => {
  await dev.db.stop()
  await rm(dir, { recursive: true, force: true })
})
const sqlAnalyzer = await createSqlAnalyzer()
const gw = await startGatewayFixture(t, {
  pg: dev.db,
  targets: () => [{ ...dev.target }],
  services: async (config, log) => ({
    maskHashKey: Buffer.alloc(32, 3),
    policy: await createPolicyStore({
      dir: resolve('policies'), defaultAction: 'deny', reloadRequiresTests: false, log, analyzeSql: (text) => sqlAnalyzer.analyze(text), detectEntities, watch: false
    })
  })
})
const tap = await startByteTap(t, gw.host, gw.port)
const url = gw.url().replace(`:${gw.port}/`, `:${tap.port}/`)

const direct = new pg.Client({ host: dev.db.host, port: dev.db.port, user: dev.db.user, password: dev.db.password, database: 'analytics' })
await direct.connect()
t.teardown(async () => { await direct.end() })
const customers = (await direct.query('select email, phone, card_number, ssn from customers')).rows as Array<Record<string, string>>
const RAW = customers.flatMap((c) => [c.email, c.phone, c.card_number, c.ssn]).map((v) => v.toLowerCase())

function assertNoLeak (t: { same: (a: unknown, b: unknown, m: string) => void }, what: string, before: number): void {
  const seen = tap.received().subarray(before).toString('utf8').toLowerCase()
  const leaked = RAW.filter((v) => seen.includes(v))
  t.same(leaked.slice(0, 3), [], `${what}: no raw email, phone, card number or SSN reached the client`)
}

const LABELS = { email: '[EMAIL]', phone: '[PHONE]', card_number: '[CREDIT_CARD]', ssn: '[US_SSN]' }

t.test('node-postgres, text and binary, simple and extended: sample rows come back masked', async (t) => {
  for (const binary of [false, true]) {
    const c = new pg.Client({ connectionString: url, ...(binary ? { binary: true } : {}) } as pg.ClientConfig)
    await c.connect()
    const before = tap.received().length
    const simple = await c.query('select * from customers order by id limit 3')
    const extended = await c.query({ text: 'select id, name, email, phone, card_number, ssn, city from customers where id = any($1) order by id', values: [[1, 2, 3]], queryMode: 'extended' } as pg.QueryConfig)
    await c.end()
    for (const r of [simple, extended]) {
      t.same(r.rows.map((row) => ({ email: row.email, phone: row.phone, card_number: row.card_number, ssn: row.ssn })), Array(3).fill(LABELS), `binary=${binary}`)
      t.same(r.rows.map((row) => row.id), [1, 2, 3], 'ids exact')
      t.ok(r.rows.every((row) => typeof row.name === 'string' && row.name.length > 0 && !row.name.startsWith('[')), 'names are not masked by the example policy')
    }
    assertNoLeak(t, `node-postgres binary=${binary}`, before)
  }
})

t.test('pg-cursor: a portal read in batches stays masked across Executes', async (t) => {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  t.teardown(async () => { await c.end() })
  const before = tap.received().length
  const cursor = c.query(new Cursor('select id, email from customers order by id'))
  const seen: string[] = []
  for (let rows = await cursor.read(30); rows.length > 0; rows = await cursor.read(30)) seen.push(...rows.map((r: { email: string }) => r.email))
  await cursor.close()
  t.equal(seen.length, customers.length)
  t.ok(seen.every((e) => e === '[EMAIL]'))
  assertNoLeak(t, 'pg-cursor', before)
})

t.test('porsager postgres: pipelined prepared statements, executed again without a Describe, are masked', async (t) => {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  t.teardown(async () => { await sql.end({ timeout: 1 }) })
  const before = tap.received().length
  const rows = await Promise.all(Array.from({ length: 25 }, async (_, i) => (await sql`select id, email, phone, ssn from customers where id = ${i + 1}`)[0]))
  t.same(rows.map((r) => r.id), Array.from({ length: 25 }, (_, i) => i + 1))
  t.same(rows.filter((r) => !(r.email === '[EMAIL]' && r.phone === '[PHONE]' && r.ssn === '[US_SSN]')), [], 'every row masked')
  const again = await sql`select id, email, phone, ssn from customers where id = ${30}`
  t.same(again[0], { id: 30, email: '[EMAIL]', phone: '[PHONE]', ssn: '[US_SSN]' }, 'the cached statement is masked the 27th time too')
  assertNoLeak(t, 'porsager', before)
})

t.test('TypeORM and LangChain SqlDatabase: table info with sample rows and query results carry no PII', async (t) => {
  const ds = new DataSource({ type: 'postgres', url, entities: [], synchronize: false, logging: false })
  await ds.initialize()
  t.teardown(async () => { await ds.destroy() })
  const before = tap.received().length
  const db = await SqlDatabase.fromDataSourceParams({ appDataSource: ds, includesTables: ['customers', 'orders'], sampleRowsInTableInfo: 3 })
  const info = await db.getTableInfo(['customers'])
  t.match(info, /CREATE TABLE "public"\."customers"/)
  t.match(info, /\[EMAIL\].*\[PHONE\].*\[CREDIT_CARD\].*\[US_SSN\]/s, 'the sample rows an LLM prompt gets are masked')
  const answer = await db.run("select email, 'reach me at ' || email as note from customers order by id limit 2")
  t.notMatch(answer, /@/, 'an expression over a masked column is masked by content')
  t.match(answer, /\[EMAIL\]/)
  assertNoLeak(t, 'LangChain SqlDatabase', before)
})

t.test('psql: aligned output and a CSV export are masked', { skip: !hasPsql && `no ${PSQL} binary on this machine (install postgresql-client)` }, async (t) => {
  const before = tap.received().length
  const out = await runPsql(['-X', '-q', '-h', gw.host, '-p', String(tap.port), '-U', 'alice', 'analytics'],
    'select id, email, ssn from customers order by id limit 2;\n\\pset format csv\nselect email, card_number from customers order by id limit 2;\n',
    { PGPASSWORD: TOKEN, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '10' })
  t.equal(out.code, 0, out.stderr)
  t.match(out.stdout, /1 \| \[EMAIL\] \| \[US_SSN\]/)
  t.match(out.stdout, /email,card_number\n\[EMAIL\],\[CREDIT_CARD\]\n/)
  assertNoLeak(t, 'psql', before)
})

t.test('each statement\'s audit entry counts what was masked', async (t) => {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query('select email, ssn from customers order by id limit 4')
  await c.end()
  const entry = gw.audits.findLast((a) => String(a.summary?.sql).includes('select email, ssn'))
  t.same(entry?.masked, { EMAIL: 4, US_SSN: 4 })
  t.same(entry?.decision.masks.map((m) => m.rule).sort(), ['mask-employee-ids', 'mask-pii'], 'the mask rules that applied are on the decision')
})
