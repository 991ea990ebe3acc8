import t from 'tap'
import pg from 'pg'
import { startTestPostgres } from '../../../helpers/postgres.js'
import { allow, startGatewayFixture } from '../gateway-fixture.js'
import { startByteTap } from '../byte-tap.js'
import { HASH_KEY, spec } from './fixtures.js'

// Masking of a real server's frames through gatehouse's relay: RowDescription, DataRow (text and binary),
// CopyData, ErrorResponse and NoticeResponse, as PostgreSQL sends them, read by node-postgres. A byte tap
// between the client and gatehouse records everything the client received.

const db = await startTestPostgres(t)
const direct = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: 'postgres' })
await direct.connect()
t.teardown(async () => { await direct.end() })

const CUSTOMERS = [
  { name: 'Ada Lovelace', email: 'ada.lovelace@example.com', phone: '+1 415 555 0100', card: '4242 4242 4242 4242' },
  { name: 'Grace Hopper', email: 'grace.hopper@example.org', phone: '+44 20 7946 0958', card: '5555 5555 5555 4444' }
]
/** Raw values that must never reach the client (compared case-insensitively: upper() is a bypass too). */
const RAW_ENTITIES = CUSTOMERS.flatMap((c) => [c.email.split('@')[0], c.phone.replace(/\D/g, '').slice(-7), c.card.replace(/\D/g, '').slice(-8)])
  .map((v) => v.toLowerCase())
/** Values of a masked column that look like nothing (names): caught by column identity or name, not by content. */
const RAW_NAMES = CUSTOMERS.map((c) => c.name.toLowerCase())
const RAW = [...RAW_ENTITIES, ...RAW_NAMES]

await direct.query(`
  create table customers (id int primary key, name text not null, email text not null unique, phone text, card text,
    meta jsonb, score int, created_at timestamptz default now());
  create view customer_contacts as select id, name as who, email as contact, lower(email) as lower_email, length(name) as n from customers;
  create view contacts_of_contacts as select who, contact from customer_contacts;
  create materialized view customer_matview as select id, email, name from customers with no data;
  create function first_email() returns text language sql as 'select email from customers order by id limit 1';
  create function all_customers() returns setof customers language sql as 'select * from customers';
  create table people_tmp (name text);
  create table members (id int, name text) partition by range (id);
  create table members_1 partition of members for values from (0) to (100);
  insert into members values (1, 'Partitioned Person');
  insert into people_tmp values ('Alice Example');`)
for (const [i, c] of CUSTOMERS.entries()) {
  await direct.query('insert into customers (id, name, email, phone, card, meta, score) values ($1, $2, $3, $4, $5, $6, 10)',
    [i + 1, c.name, c.email, c.phone, c.card, { contact: { email: c.email, phone: c.phone }, note: 'vip' }])
}
await direct.query('refresh materialized view customer_matview')

const MASK = spec({ columns: ['customers.email', 'customers.phone', 'public.customers.name', 'people.name', 'members.name'], entities: ['EMAIL', 'PHONE', 'CREDIT_CARD'] })
const gw = await startGatewayFixture(t, { pg: db, services: async () => ({ maskHashKey: HASH_KEY }) })
gw.decide = () => ({ ...allow('allow-reads'), masks: [MASK] })
const tap = await startByteTap(t, gw.host, gw.port)
const clientConfig = (over: Partial<pg.ClientConfig> = {}): pg.ClientConfig => ({ connectionString: gw.url().replace(`:${gw.port}/`, `:${tap.port}/`), ...over })

const client = new pg.Client(clientConfig())
await client.connect()
t.teardown(async () => { await client.end().catch(() => {}) })

/** When gatehouse's catalog session last started a query (it changes only when gatehouse asks the catalog). */
const catalogQueryStart = async (): Promise<string | undefined> =>
  (await direct.query("select query_start::text as at from pg_stat_activity where application_name = 'gatehouse catalog'")).rows[0]?.at

/** Runs `fn` and fails if any raw value appears in the bytes the relay sent meanwhile. */
async function noLeak<T> (t: { same: (a: unknown, b: unknown, m: string) => void }, what: string, fn: () => Promise<T>, raw = RAW): Promise<T> {
  const before = tap.received().length
  const result = await fn()
  const sent = tap.received().subarray(before).toString('utf8').toLowerCase()
  const leaked = raw.filter((v) => sent.includes(v))
  t.same(leaked, [], `${what}: no raw value reached the client`)
  return result
}

const BYPASSES: Array<[string, string]> = [
  ['select *', 'select * from customers'],
  ['alias', 'select email as e, name as who, phone as p from customers'],
  ['cast', 'select email::varchar(200) as e, phone::text as p, card::text as c from customers'],
  ['concatenation', "select email || '' as e, 'tel:' || phone as p from customers"],
  ['functions of the column', 'select lower(email), upper(email), btrim(phone), replace(card, \' \', \'\') from customers'],
  ['subquery', 'select x.e, x.who from (select email as e, name as who from customers) x'],
  ['scalar subquery', 'select (select email from customers c2 where c2.id = c.id) from customers c'],
  ['CTE', 'with c as (select email, name from customers) select * from c'],
  ['union', "select email from customers union all select 'nobody' union select phone from customers"],
  ['view', 'select * from customer_contacts'],
  ['view over a view', 'select * from contacts_of_contacts'],
  ['materialized view', 'select * from customer_matview'],
  ['function returning the column', 'select first_email()'],
  ['set-returning function', 'select * from all_customers()'],
  ['row_to_json', 'select row_to_json(c) from customers c'],
  ['to_jsonb and jsonb column', 'select to_jsonb(c), meta, meta->\'contact\'->>\'email\' from customers c'],
  ['json_agg', 'select json_agg(c) from customers c'],
  ['string_agg', "select string_agg(email, ',') from customers"],
  ['array_agg', 'select array_agg(email), array_agg(phone) from customers'],
  ['join', 'select o.* , c.email from customers c join (values (1)) o(id) on o.id = c.id']
]

t.test('bypass suite: no raw value survives, in simple and extended protocol', async (t) => {
  for (const [what, sql] of BYPASSES) {
    await noLeak(t, `${what} (simple)`, async () => await client.query(sql))
    await noLeak(t, `${what} (extended)`, async () => await client.query({ text: sql, queryMode: 'extended' } as pg.QueryConfig))
  }
})

t.test('known limit: a masked column that looks like nothing, formatted into a text with no name, passes; entities in it do not', async (t) => {
  // Identity is lost in format() and a row cast to text, and a name has no pattern: see docs/postgres-masking.md.
  const sql = "select format('%s <%s>', name, email), (c.*)::text from customers c"
  const r = await noLeak(t, 'format and row text (entities)', async () => await client.query(sql), RAW_ENTITIES)
  t.match(JSON.stringify(r.rows), /Ada Lovelace/)
})

t.test('named columns are masked by identity whatever they are called; other columns stay exact', async (t) => {
  const r = await client.query('select id, name as who, email as e, score, created_at from customers order by id')
  t.same(r.rows.map((row) => [row.id, row.who, row.e, row.score]), [[1, '[REDACTED]', '[EMAIL]', 10], [2, '[REDACTED]', '[EMAIL]', 10]])
  t.ok(r.rows[0].created_at instanceof Date, 'a timestamp is parsed as one: relayed untouched')
  const v = await client.query('select who, contact, n from customer_contacts order by 1')
  t.same(v.rows.map((row) => row.who), ['[REDACTED]', '[REDACTED]'], 'view column resolved to customers.name')
  t.same(v.rows.map((row) => row.n), [null, null], 'an int computed in a view from a masked column is NULL, not a label')
  const j = await client.query('select meta from customers order by id')
  t.same(j.rows[0].meta, { contact: { email: '[EMAIL]', phone: '[PHONE]' }, note: 'vip' }, 'jsonb stays valid JSON')
  const a = await client.query('select array_agg(email order by id) as emails from customers')
  t.same(a.rows[0].emails, ['[EMAIL]', '[EMAIL]'], 'an array literal stays parseable')
})

t.test('binary-format results: masked text columns carry the label, other types stay exact', async (t) => {
  const binary = new pg.Client(clientConfig({ binary: true } as pg.ClientConfig))
  await binary.connect()
  t.teardown(async () => { await binary.end() })
  const r = await noLeak(t, 'binary', async () => await binary.query({ text: 'select id, email, name, phone, score, meta from customers order by id', queryMode: 'extended' } as pg.QueryConfig))
  t.equal(r.rows[0].id, 1)
  t.equal(r.rows[0].email, '[EMAIL]')
  t.equal(r.rows[0].score, 10)
})

t.test('named prepared statements executed again are masked again', async (t) => {
  for (let i = 0; i < 3; i++) {
    const r = await noLeak(t, `prepared run ${i}`, async () => await client.query({ name: 'by-id', text: 'select email, name from customers where id = $1', values: [1] }))
    t.same(r.rows, [{ email: '[EMAIL]', name: '[REDACTED]' }])
  }
})

t.test('COPY ... TO STDOUT: table (text, CSV with header) and query', async (t) => {
  for (const sql of ['copy customers to stdout', 'copy customers (id, email, name) to stdout with (format csv, header)', "copy customers (phone, email) to stdout (format text, delimiter '|')",
    "copy (select json_build_object('contact', 'ada.lovelace@example.com', 'n', 1)) to stdout with csv delimiter ';'"]) {
    const before = tap.received().length
    await noLeak(t, sql, async () => await client.query(sql))
    const sent = tap.received().subarray(before).toString('utf8')
    t.match(sent, /\[EMAIL\]/, `${sql}: masked rows were sent`)
  }
})

t.test('COPY (query) over tables or views carrying masked columns is refused before it runs; binary COPY too', async (t) => {
  const refusal = async (sql: string, mode?: 'extended'): Promise<pg.DatabaseError | undefined> => {
    const err = await client.query({ text: sql, ...(mode !== undefined ? { queryMode: mode } : {}) } as pg.QueryConfig).then(() => undefined, (e: pg.DatabaseError) => e)
    t.equal((await client.query('select 1 as ok')).rows[0].ok, 1, `${sql}: the session goes on`)
    return err
  }
  const upper = await refusal('copy (select upper(name) from customers) to stdout')
  t.match(upper, { code: '0A000', message: /over "customers".*\(masked by rule mask-pii\)/ })
  t.match(await refusal('copy (select * from contacts_of_contacts) to stdout'), { code: '0A000', message: /over "contacts_of_contacts", which carries masked columns/ })
  t.match(await refusal('copy (select * from contacts_of_contacts) to stdout', 'extended'), { code: '0A000', message: /which carries masked columns/ }, 'refused at Parse in the extended protocol')
  t.match(await refusal('copy people_tmp to stdout (format binary)'), { code: '0A000', message: /binary COPY/ })
  t.equal(await refusal("copy (select 'x', now()) to stdout"), undefined, 'a COPY (query) over nothing masked runs')
  const denied = gw.audits.filter((a) => a.decision.action === 'deny').map((a) => a.decision.message)
  t.ok(denied.some((m) => m !== undefined && /binary COPY/.test(m)), 'the refusal is audited as a denial with its reason')
  await client.query('begin')
  t.match(await client.query('copy (select name from customers) to stdout').catch((e: unknown) => e), { code: '0A000' })
  t.match(await client.query('select 1').catch((e: unknown) => e), { code: '25P02' }, 'inside a transaction block the refusal aborts it like any error')
  await client.query('rollback')
})

t.test('errors and notices echoing values are masked', async (t) => {
  const err = await noLeak(t, 'unique violation', async () => await client.query("insert into customers (id, name, email) values (9, 'X', 'ada.lovelace@example.com')").catch((e: unknown) => e)) as pg.DatabaseError
  t.equal(err.code, '23505', 'SQLSTATE kept')
  t.equal(err.constraint, 'customers_email_key', 'field order and other fields kept')
  t.equal(err.detail, 'Key (email)=([REDACTED]) already exists.')
  const notices: string[] = []
  client.on('notice', (n) => notices.push(n.message ?? ''))
  await noLeak(t, 'notice', async () => await client.query("do $$ begin raise notice 'found %', (select email from customers order by id limit 1); end $$"))
  t.same(notices, ['found [EMAIL]'])
  const cast = await client.query("select 'grace.hopper@example.org'::int").catch((e: unknown) => e) as pg.DatabaseError
  t.equal(cast.message, 'invalid input syntax for type integer: "[EMAIL]"')
})

t.test('catalog lookups are cached, and DDL through the relay invalidates them', async (t) => {
  await client.query('select name from people_tmp')
  const n = await catalogQueryStart()
  t.ok(n, 'gatehouse asked the catalog through its own session')
  await client.query('select name from people_tmp')
  t.equal(await catalogQueryStart(), n, 'a second query over the same table asks the catalog nothing')
  t.same((await client.query('select name from people_tmp')).rows, [{ name: 'Alice Example' }], 'people_tmp.name is not masked')
  await client.query('alter table people_tmp rename to people')
  t.same((await client.query('select name from people')).rows, [{ name: '[REDACTED]' }], 'after the rename the rule on people.name applies')
})

t.test('a rule on a partitioned table covers its partitions', async (t) => {
  t.same((await client.query('select name from members')).rows, [{ name: '[REDACTED]' }])
  t.same((await client.query('select name as n from members_1')).rows, [{ n: '[REDACTED]' }], 'queried through the partition itself')
})

t.test('the audit entry of a statement counts what was masked in its result, by type', async (t) => {
  const before = gw.audits.length
  await client.query('select name, email, phone, card from customers order by id')
  const entry = gw.audits.slice(before).find((a) => String(a.summary?.sql).includes('card'))
  t.same(entry?.masked, { REDACTED: 2, EMAIL: 2, PHONE: 2, CREDIT_CARD: 2 })
  t.equal(entry?.usage?.rows, 2, 'the row count is the server\'s')
})

t.test('a value larger than the relay streams unread is still masked whole', async (t) => {
  const r = await noLeak(t, 'large value', async () => await client.query("select repeat('x', 400000) || ' ada.lovelace@example.com' as big"))
  t.equal(r.rows[0].big, `${'x'.repeat(400000)} [EMAIL]`)
})

t.test('when gatehouse\'s catalog session dies, the next lookup opens a new one', async (t) => {
  await direct.query('create table if not exists contacts_tmp (id int, email text, name text); truncate contacts_tmp')
  await direct.query("insert into contacts_tmp values (1, 'ada.lovelace@example.com', 'Ada Lovelace')")
  const killed = await direct.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'gatehouse catalog'")
  t.equal(killed.rowCount, 1, 'the catalog session was there, and is gone')
  const r = await noLeak(t, 'catalog lost', async () => await client.query('select id, email as e, name from contacts_tmp'), RAW_ENTITIES)
  t.same(r.rows, [{ id: 1, e: '[EMAIL]', name: 'Ada Lovelace' }], 'columns resolved by identity (contacts_tmp.name is no masked column); the email by content')
  t.notOk(gw.logLines.some((l) => l.msg === 'column lookup failed: masking this result by column names and content'), 'the lookup did not fail: it was retried on a new session')
  t.ok(await catalogQueryStart(), 'a new catalog session is there')
})

t.test('pipelined queries behind a catalog lookup keep their order and are all masked', async (t) => {
  await direct.query('create table if not exists pipeline_tmp (id int, email text)')
  await direct.query("insert into pipeline_tmp select g, 'user' || g || '@example.com' from generate_series(1, 20) g")
  const c = new pg.Client(clientConfig())
  await c.connect()
  t.teardown(async () => { await c.end() })
  // node-postgres queues these; porsager-style pipelining is in clients.test.ts.
  const results = await noLeak(t, 'pipelined', async () => await Promise.all(Array.from({ length: 20 }, async (_, i) =>
    (await c.query({ text: 'select id, email from pipeline_tmp where id = $1', values: [i + 1] })).rows[0])), ['user1@', 'user7@'])
  t.same(results, Array.from({ length: 20 }, (_, i) => ({ id: i + 1, email: '[EMAIL]' })))
})
