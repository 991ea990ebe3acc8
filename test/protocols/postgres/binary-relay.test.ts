import t from 'tap'
import type { Duplex } from 'node:stream'
import { startGatewayFixture, TOKEN } from './gateway-fixture.js'
import { connectUpstream } from '../../../src/protocols/postgres/upstream/connect-upstream.js'
import { FrameReader, BACKEND } from '../../../src/protocols/postgres/codec/index.js'
import { WireClient } from './wire-client.js'
import { encodeStartupMessage } from '../../../src/protocols/postgres/messages/startup-message.js'
import { encodePasswordMessage } from '../../../src/protocols/postgres/messages/password-message.js'
import { encodeParse } from '../../../src/protocols/postgres/messages/parse.js'
import { encodeBind } from '../../../src/protocols/postgres/messages/bind.js'
import { encodeDescribe } from '../../../src/protocols/postgres/messages/describe.js'
import { encodeExecute } from '../../../src/protocols/postgres/messages/execute.js'
import { encodeSync } from '../../../src/protocols/postgres/messages/sync.js'

const gw = await startGatewayFixture(t)

// Types whose binary form a careless relay would mangle: NULL vs empty, bytea with NULs, floats, numerics, arrays, json.
const SQL = "select $1::bytea as b, ''::text as empty, null::text as nothing, 1.5e300::float8 as f, 123456789.000001::numeric as n, " +
  "array[1, null, 3]::int4[] as a, '{\"k\": [1, 2]}'::jsonb as j, 'naïve ☃'::text as u from generate_series(1, 50)"
const batch = Buffer.concat([
  encodeParse({ name: '', sql: SQL, paramTypes: [] }),
  encodeBind({ portal: '', statement: '', paramFormats: [1], params: [Buffer.from([0, 255, 0, 10, 13])], resultFormats: [1] }),
  encodeDescribe({ target: 'portal', name: '' }),
  encodeExecute({ portal: '', maxRows: 0 }),
  encodeSync()
])

/** The reply frames of one batch, up to ReadyForQuery, as raw bytes. */
async function replies (socket: Duplex, leftover: Buffer = Buffer.alloc(0)): Promise<Buffer[]> {
  const reader = new FrameReader('server')
  reader.push(leftover)
  const out: Buffer[] = []
  socket.resume()
  return await new Promise((resolve) => {
    const onData = (c: Buffer): void => {
      reader.push(c)
      for (let f = reader.next(); f !== undefined; f = reader.next()) {
        out.push(Buffer.from(f.raw))
        if (f.code === BACKEND.READY_FOR_QUERY) { socket.off('data', onData); resolve(out) }
      }
    }
    socket.on('data', onData)
    socket.write(batch)
  })
}

t.test('binary-format results through gatehouse are byte-identical to the server\'s', async (t) => {
  process.env.GH_BINARY_TEST_PW = gw.pg.password
  const direct = await connectUpstream({ target: { name: 'd', protocol: 'postgres', upstream: `postgres://${gw.pg.user}@${gw.pg.host}:${gw.pg.port}/postgres`, passwordEnv: 'GH_BINARY_TEST_PW', upstreamTls: 'disable' }, params: {}, timeoutMs: 5000 })
  t.teardown(() => { direct.socket.destroy() })
  const expected = await replies(direct.socket, direct.leftover)

  const c = new WireClient(gw.host, gw.port)
  t.teardown(() => { c.socket.destroy() })
  c.send(encodeStartupMessage({ version: 196608, params: { user: 'alice', database: 'analytics' } }))
  await c.frame('R')
  c.send(encodePasswordMessage(TOKEN))
  await c.frame('Z')
  c.socket.removeAllListeners('data')
  const got = await replies(c.socket)

  t.equal(got.length, expected.length)
  t.equal(got.filter((f) => f[0] === BACKEND.DATA_ROW).length, 50)
  t.ok(Buffer.concat(got).equals(Buffer.concat(expected)), 'every reply byte equal')
})
