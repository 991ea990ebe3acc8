import t from 'tap'
import { startGatewayFixture, TOKEN, denyMentioning } from './gateway-fixture.js'
import { WireClient } from './wire-client.js'
import { encodeStartupMessage } from '../../../src/protocols/postgres/messages/startup-message.js'
import { encodePasswordMessage } from '../../../src/protocols/postgres/messages/password-message.js'
import { encodeParse } from '../../../src/protocols/postgres/messages/parse.js'
import { encodeBind } from '../../../src/protocols/postgres/messages/bind.js'
import { encodeExecute } from '../../../src/protocols/postgres/messages/execute.js'
import { encodeSync } from '../../../src/protocols/postgres/messages/sync.js'
import { encodeQuery } from '../../../src/protocols/postgres/messages/query.js'
import { encodeFlush } from '../../../src/protocols/postgres/messages/flush.js'
import { decodeErrorFields } from '../../../src/protocols/postgres/messages/error-response.js'

const gw = await startGatewayFixture(t)
gw.decide = denyMentioning('secret')

async function loggedIn (): Promise<WireClient> {
  const c = new WireClient(gw.host, gw.port)
  t.teardown(() => { c.socket.destroy() })
  c.send(encodeStartupMessage({ version: 196608, params: { user: 'alice', database: 'analytics' } }))
  await c.frame('R')
  c.send(encodePasswordMessage(TOKEN))
  await c.frame('Z')
  c.received = Buffer.alloc(0)
  return c
}

const batch = (sql: string, value: string): Buffer => Buffer.concat([
  encodeParse({ name: '', sql, paramTypes: [] }),
  encodeBind({ portal: '', statement: '', paramFormats: [], params: [Buffer.from(value)], resultFormats: [] }),
  encodeExecute({ portal: '', maxRows: 0 }),
  encodeSync()
])

const letters = (c: WireClient): string => c.frames().map((f) => String.fromCharCode(f.code)).join('')
async function replyLetters (c: WireClient, readyCount: number): Promise<string> {
  while ((letters(c).match(/Z/g) ?? []).length < readyCount) await c.bytes(c.received.length + 1)
  return letters(c)
}

t.test('three batches in flight: the denied middle one fails alone, in its place', async (t) => {
  const c = await loggedIn()
  c.send(batch('select $1::int as a', '1'), batch('select $1::int as secret', '2'), batch('select $1::int as c', '3'))
  t.equal(await replyLetters(c, 3), '12DCZEZ12DCZ')
  const err = c.frames().find((f) => f.code === 0x45)
  t.match(err !== undefined && decodeErrorFields(err.body), { code: '42501', message: /rule no-secret/ })
})

t.test('a denial inside an open transaction aborts it; later batches see 25P02 until ROLLBACK', async (t) => {
  const c = await loggedIn()
  c.send(encodeQuery({ sql: 'begin' }), batch('select $1::int as secret', '1'), batch('select $1::int as n', '2'), encodeQuery({ sql: 'rollback' }), batch('select $1::int as n', '3'))
  const got = await replyLetters(c, 5)
  t.equal(got, 'CZEZEZCZ12DCZ')
  const statuses = c.frames().filter((f) => f.code === 0x5a).map((f) => String.fromCharCode(f.body[0]))
  t.same(statuses, ['T', 'E', 'E', 'I', 'I'])
  const errs = c.frames().filter((f) => f.code === 0x45).map((f) => decodeErrorFields(f.body).code)
  t.same(errs, ['42501', '25P02'])
})

t.test('with Flush and no Sync the denial arrives at once, then Sync ends the batch', async (t) => {
  const c = await loggedIn()
  c.send(encodeParse({ name: 'p', sql: 'select 1 as secret', paramTypes: [] }), encodeFlush())
  const e = await c.frame('E')
  t.match(e !== undefined && decodeErrorFields(e.body), { code: '42501' })
  c.send(encodeBind({ portal: '', statement: 'p', paramFormats: [], params: [], resultFormats: [] }), encodeExecute({ portal: '', maxRows: 0 }), encodeSync())
  t.equal(await replyLetters(c, 1), 'EZ', 'the Bind and Execute after the denial were skipped by the server')
  c.received = Buffer.alloc(0)
  c.send(batch('select $1::int as ok', '5'))
  t.equal(await replyLetters(c, 1), '12DCZ')
})

t.test('a named statement allowed at Parse is denied at a later Bind when the policy changes', async (t) => {
  const c = await loggedIn()
  c.send(encodeParse({ name: 'reused', sql: 'select $1::text as v', paramTypes: [] }), encodeSync())
  t.equal(await replyLetters(c, 1), '1Z')
  const before = gw.decide
  gw.decide = (e) => e.sql?.params?.[0] === 'forbidden' ? { action: 'deny', rules: ['no-forbidden'], shadow: [], masks: [], limits: [], policyRevision: 'r2' } : before(e)
  t.teardown(() => { gw.decide = before })
  c.received = Buffer.alloc(0)
  const exec = (v: string): Buffer => Buffer.concat([encodeBind({ portal: '', statement: 'reused', paramFormats: [], params: [Buffer.from(v)], resultFormats: [] }), encodeExecute({ portal: '', maxRows: 0 }), encodeSync()])
  c.send(exec('fine'), exec('forbidden'), exec('fine again'))
  t.equal(await replyLetters(c, 3), '2DCZEZ2DCZ')
  const err = c.frames().find((f) => f.code === 0x45)
  t.match(err !== undefined && decodeErrorFields(err.body), { code: '42501', message: /rule no-forbidden/ })
})

t.test('a client statement named like gatehouse\'s own cannot turn a denied Bind into a success', async (t) => {
  const c = await loggedIn()
  c.send(encodeParse({ name: 'gatehouse_policy_denied', sql: "select 'oops' as v", paramTypes: [] }), encodeParse({ name: 'q', sql: 'select $1::text as v', paramTypes: [] }), encodeSync())
  t.equal(await replyLetters(c, 1), '11Z')
  const before = gw.decide
  gw.decide = (e) => e.sql?.params?.[0] === 'forbidden' ? { action: 'deny', rules: ['no-forbidden'], shadow: [], masks: [], limits: [], policyRevision: 'r2' } : before(e)
  t.teardown(() => { gw.decide = before })
  c.received = Buffer.alloc(0)
  c.send(encodeBind({ portal: '', statement: 'q', paramFormats: [], params: [Buffer.from('forbidden')], resultFormats: [] }), encodeExecute({ portal: '', maxRows: 0 }), encodeSync())
  t.equal(await replyLetters(c, 1), 'EZ', 'no BindComplete, no rows')
  t.match(decodeErrorFields(c.frames()[0].body), { code: '42501' })
})
