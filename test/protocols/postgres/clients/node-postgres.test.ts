import t from 'tap'
import pg from 'pg'
import { connect } from 'node:net'
import { encodeCancelRequest } from '../../../../src/protocols/postgres/messages/cancel-request.js'
import { startGatewayFixture, denyMentioning, allow, TOKEN } from '../gateway-fixture.js'

const gw = await startGatewayFixture(t)

const client = async (): Promise<pg.Client> => {
  const c = new pg.Client({ connectionString: gw.url() })
  await c.connect()
  t.teardown(async () => { await c.end().catch(() => {}) })
  return c
}

t.test('a simple query goes through and is audited with normalized SQL', async (t) => {
  const c = await client()
  const r = await c.query("select 1 as one, 'x' as s")
  t.same(r.rows, [{ one: 1, s: 'x' }])
  const last = gw.audits.at(-1)
  t.equal(last?.event.identity.sub, 'alice')
  t.equal(last?.event.session.target, 'analytics')
  t.notMatch(String(last?.summary?.sql), /'x'/)
})

t.test('parameterized queries carry their parameters to policy', async (t) => {
  const c = await client()
  const r = await c.query('select $1::int + $2::int as sum', [2, 40])
  t.equal(r.rows[0].sum, 42)
  t.same(gw.audits.at(-1)?.event.sql?.params, ['2', '40'])
})

t.test('a denied simple query gets 42501 naming the rule and the next query works', async (t) => {
  gw.decide = denyMentioning('secret')
  t.teardown(() => { gw.decide = () => allow() })
  const c = await client()
  await t.rejects(c.query('select 1 as secret'), { code: '42501', message: /no secret for you \(rule no-secret\)/ })
  const r = await c.query('select 2 as n')
  t.equal(r.rows[0].n, 2)
})

t.test('a denied parameterized query gets 42501 and the next query works', async (t) => {
  gw.decide = denyMentioning('secret')
  t.teardown(() => { gw.decide = () => allow() })
  const c = await client()
  await t.rejects(c.query('select $1::text as secret', ['x']), { code: '42501' })
  const r = await c.query('select $1::int as n', [3])
  t.equal(r.rows[0].n, 3)
})

t.test('inside a transaction a denial aborts it: COMMIT reports ROLLBACK and nothing is written', async (t) => {
  const c = await client()
  await c.query('create table if not exists tx_probe (v int)')
  gw.decide = denyMentioning('secret')
  t.teardown(() => { gw.decide = () => allow() })
  await c.query('begin')
  await c.query('insert into tx_probe values (1)')
  await t.rejects(c.query('select 1 as secret'), { code: '42501' })
  await t.rejects(c.query('select 1'), { code: '25P02' })
  const commit = await c.query('commit')
  t.equal(commit.command, 'ROLLBACK')
  const r = await c.query('select count(*)::int as n from tx_probe')
  t.equal(r.rows[0].n, 0)
})

t.test('named prepared statements are reused without re-Parse, each execution decided', async (t) => {
  const c = await client()
  const before = gw.audits.length
  for (let i = 0; i < 3; i++) {
    const r = await c.query({ name: 'add-one', text: 'select $1::int + 1 as n', values: [i] })
    t.equal(r.rows[0].n, i + 1)
  }
  t.equal(gw.audits.length - before, 3)
})

t.test('binary-format results are relayed byte for byte', async (t) => {
  const c = await client()
  const r = await c.query({ text: "select '\\x00ff10'::bytea as b, 1.5::float8 as f", binary: true } as pg.QueryConfig)
  t.same([...(r.rows[0].b as Buffer)], [0, 255, 16])
})

t.test('a pool runs concurrent queries on several sessions', async (t) => {
  const pool = new pg.Pool({ connectionString: gw.url(), max: 4 })
  t.teardown(async () => { await pool.end() })
  const results = await Promise.all(Array.from({ length: 12 }, async (_, i) => (await pool.query('select $1::int as i, pg_backend_pid() as pid', [i])).rows[0]))
  t.same(results.map((r) => r.i), Array.from({ length: 12 }, (_, i) => i))
  t.ok(new Set(results.map((r) => r.pid)).size > 1)
})

t.test('a bad token is refused with 28P01', async (t) => {
  const c = new pg.Client({ connectionString: gw.url({ password: 'wrong' }) })
  await t.rejects(c.connect(), { code: '28P01', message: /password authentication failed for user "alice"/ })
})

t.test('an unknown database is refused with 3D000', async (t) => {
  const c = new pg.Client({ connectionString: gw.url({ database: 'nope' }) })
  await t.rejects(c.connect(), { code: '3D000', message: /database "nope" does not exist/ })
})

t.test('cancel reaches the right upstream query', async (t) => {
  const c = await client()
  const other = await client()
  const q = c.query('select pg_sleep(30)')
  await new Promise((resolve) => setTimeout(resolve, 300))
  const started = Date.now()
  const key = c as unknown as { processID: number; secretKey: number }
  const s = connect(gw.port, gw.host)
  s.on('error', () => {})
  s.end(encodeCancelRequest({ processId: key.processID, secretKey: key.secretKey }))
  await t.rejects(q, { code: '57014' })
  t.ok(Date.now() - started < 10_000)
  const r = await other.query('select 1 as still')
  t.equal(r.rows[0].still, 1)
  t.equal((await c.query('select 5 as n')).rows[0].n, 5)
})

t.test('startup parameters reach the upstream; notices and notifications are relayed', async (t) => {
  const c = new pg.Client({ connectionString: gw.url(), application_name: 'gh-app', options: '-c search_path=pg_catalog,public' })
  await c.connect()
  t.teardown(async () => { await c.end() })
  t.same((await c.query("select current_setting('application_name') as a, current_setting('search_path') as p")).rows[0], { a: 'gh-app', p: 'pg_catalog,public' })
  const notice = new Promise<Error>((resolve) => { c.once('notice', resolve) })
  await c.query("do $$ begin raise notice 'hello from plpgsql'; end $$")
  t.match(await notice, { message: 'hello from plpgsql' })
  const note = new Promise<pg.Notification>((resolve) => { c.once('notification', resolve) })
  await c.query('listen gh_channel')
  const other = await client()
  await other.query("notify gh_channel, 'ping'")
  t.match(await note, { channel: 'gh_channel', payload: 'ping' })
})

t.test('when the upstream backend is terminated the client gets the FATAL and the session ends', async (t) => {
  const c = new pg.Client({ connectionString: gw.url() })
  await c.connect()
  const pid = (await c.query('select pg_backend_pid() as pid')).rows[0].pid
  const ended = new Promise<Error>((resolve) => { c.on('error', resolve) })
  const admin = await client()
  await admin.query('select pg_terminate_backend($1)', [pid])
  t.match(await ended, { code: '57P01' })
  await c.end().catch(() => {})
})

t.test('no token or upstream password reaches a log line', async (t) => {
  const c = new pg.Client({ connectionString: gw.url({ password: 'wrong-token-value' }) })
  await c.connect().catch(() => {})
  const text = JSON.stringify(gw.logLines)
  t.ok(gw.logLines.length > 0)
  t.notOk(text.includes(TOKEN), 'valid token absent')
  t.notOk(text.includes('wrong-token-value'), 'rejected token absent')
  t.notOk(text.includes(gw.pg.password), 'upstream password absent')
  t.match(text, /statement denied/)
})

t.test('a client that disconnects mid-query does not leave the query running upstream', async (t) => {
  const c = new pg.Client({ connectionString: gw.url(), application_name: 'gh-leaver' })
  await c.connect()
  c.on('error', () => {})
  const pid = (await c.query('select pg_backend_pid() as pid')).rows[0].pid
  void c.query('select pg_sleep(60)').catch(() => {})
  const admin = await client()
  const running = async (): Promise<boolean> => (await admin.query("select count(*)::int as n from pg_stat_activity where pid = $1 and state = 'active' and query like 'select pg_sleep%'", [pid])).rows[0].n > 0
  while (!(await running())) await new Promise((resolve) => setTimeout(resolve, 50))
  ;(c as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy()
  const t0 = Date.now()
  while (await running() && Date.now() - t0 < 10_000) await new Promise((resolve) => setTimeout(resolve, 100))
  t.notOk(await running(), 'the upstream pg_sleep was cancelled when its client left')
})
