import t from 'tap'
import 'reflect-metadata'
import { DataSource } from 'typeorm'
import { startGatewayFixture, denyMentioning, allow } from '../gateway-fixture.js'

// TypeORM's DataSource is what LangChain's SqlDatabase drives.
const gw = await startGatewayFixture(t)
const ds = new DataSource({ type: 'postgres', url: gw.url(), entities: [], synchronize: false, logging: false })
await ds.initialize()
t.teardown(async () => { await ds.destroy() })

t.test('raw queries with parameters and schema introspection work', async (t) => {
  t.same(await ds.query('select $1::int + 1 as n', [41]), [{ n: 42 }])
  await ds.query('create table if not exists typeorm_probe (id serial primary key, name text)')
  const cols = await ds.query("select column_name from information_schema.columns where table_name = 'typeorm_probe' order by ordinal_position")
  t.same(cols.map((c: { column_name: string }) => c.column_name), ['id', 'name'])
})

t.test('a denial surfaces as QueryFailedError 42501, the transaction rolls back, the data source stays usable', async (t) => {
  gw.decide = denyMentioning('secret')
  t.teardown(() => { gw.decide = () => allow() })
  await t.rejects(ds.transaction(async (m) => {
    await m.query("insert into typeorm_probe (name) values ('a')")
    await m.query('select 1 as secret')
  }), { name: 'QueryFailedError', driverError: { code: '42501' } })
  t.same(await ds.query('select count(*)::int as n from typeorm_probe'), [{ n: 0 }])
})
