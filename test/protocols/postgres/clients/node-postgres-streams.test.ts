import t from 'tap'
import pg from 'pg'
import Cursor from 'pg-cursor'
import QueryStream from 'pg-query-stream'
import { startGatewayFixture } from '../gateway-fixture.js'

const gw = await startGatewayFixture(t)
const c = new pg.Client({ connectionString: gw.url() })
await c.connect()
t.teardown(async () => { await c.end() })

t.test('pg-cursor reads in batches (Execute with a row limit, PortalSuspended)', async (t) => {
  const cursor = c.query(new Cursor('select g from generate_series(1, 1000) g'))
  let total = 0
  let batches = 0
  for (;;) {
    const rows = await cursor.read(128)
    if (rows.length === 0) break
    total += rows.length
    batches++
  }
  await cursor.close()
  t.equal(total, 1000)
  t.equal(batches, 8)
  t.equal((await c.query('select 1 as n')).rows[0].n, 1)
})

t.test('pg-query-stream streams a large result', async (t) => {
  const stream = c.query(new QueryStream('select g, md5(g::text) from generate_series(1, 200000) g', [], { batchSize: 1000 }))
  let rows = 0
  let last = 0
  for await (const row of stream) {
    rows++
    last = row.g
  }
  t.equal(rows, 200000)
  t.equal(last, 200000)
})
