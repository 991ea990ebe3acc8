import t from 'tap'
import postgres from 'postgres'
import { startGatewayFixture, denyMentioning, allow } from '../gateway-fixture.js'

const gw = await startGatewayFixture(t)

const connect = (opts: postgres.Options<Record<string, postgres.PostgresType>> = {}): postgres.Sql => {
  const sql = postgres(gw.url(), { max: 1, onnotice: () => {}, ...opts })
  t.teardown(async () => { await sql.end({ timeout: 1 }) })
  return sql
}

t.test('prepared statements are pipelined on one connection and reused', async (t) => {
  const sql = connect()
  const results = await Promise.all(Array.from({ length: 30 }, async (_, i) => (await sql`select ${i}::int * 2 as v`)[0].v))
  t.same(results, Array.from({ length: 30 }, (_, i) => i * 2))
  const mine = gw.audits.filter((a) => a.event.sql?.text.includes('::int * 2') === true)
  t.equal(mine.length, 30, 'every execution decided and audited once, with its parameter')
  t.same(mine.map((a) => a.event.sql?.params?.[0]).sort((a, b) => Number(a) - Number(b)), Array.from({ length: 30 }, (_, i) => String(i)))
})

t.test('a denial inside a pipeline fails only its own query', async (t) => {
  gw.decide = denyMentioning('secret')
  t.teardown(() => { gw.decide = () => allow() })
  const sql = connect()
  const settled = await Promise.allSettled([
    sql`select 1::int as a`,
    sql`select 2::int as secret`,
    sql`select 3::int as c`,
    sql`select ${4}::int as d`
  ])
  t.same(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
  t.match((settled[1] as PromiseRejectedResult).reason, { code: '42501', message: /rule no-secret/ })
  t.equal((settled[3] as PromiseFulfilledResult<postgres.RowList<postgres.Row[]>>).value[0].d, 4)
})

t.test('a denial in sql.begin rolls the whole transaction back', async (t) => {
  const sql = connect()
  await sql`create table if not exists porsager_tx (v int)`
  gw.decide = denyMentioning('secret')
  t.teardown(() => { gw.decide = () => allow() })
  await t.rejects(sql.begin(async (tx) => {
    await tx`insert into porsager_tx values (1)`
    await tx`select 1 as secret`
  }), { code: '42501' })
  t.equal((await sql`select count(*)::int as n from porsager_tx`)[0].n, 0)
})

t.test('unprepared (simple protocol) mode works too', async (t) => {
  const sql = connect({ prepare: false })
  t.equal((await sql`select ${'hi'}::text as s`)[0].s, 'hi')
  const [first, second] = await sql.unsafe('select 1 as a; select 2 as b') as unknown as postgres.Row[][]
  t.same([first[0], second[0]], [{ a: 1 }, { b: 2 }])
})
