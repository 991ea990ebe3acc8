import t from 'tap'
import pg from 'pg'
import { createServer, type Server, type Socket } from 'node:net'
import { startTestPostgres } from '../../helpers/postgres.js'
import { startGatewayFixture } from './gateway-fixture.js'
import { FrameReader, Writer } from '../../../src/protocols/postgres/codec/index.js'
import { encodeAuthenticationOk } from '../../../src/protocols/postgres/messages/authentication.js'
import { encodeBackendKeyData } from '../../../src/protocols/postgres/messages/backend-key-data.js'
import { encodeReadyForQuery } from '../../../src/protocols/postgres/messages/ready-for-query.js'

type OnQuery = (socket: Socket) => void

/** A scripted stand-in for PostgreSQL: trust login, then `onQuery` decides what happens to the first query. */
async function fakeUpstream (onQuery: OnQuery | 'never-answer-startup'): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => {
    socket.on('error', () => {})
    const reader = new FrameReader('client')
    let started = false
    socket.on('data', (c: Buffer) => {
      reader.push(c)
      for (let f = reader.next(!started); f !== undefined; f = reader.next(!started)) {
        if (!started) {
          started = true
          if (onQuery === 'never-answer-startup') return
          socket.write(Buffer.concat([encodeAuthenticationOk(), encodeBackendKeyData({ processId: 1, secretKey: 2 }), encodeReadyForQuery('I')]))
        } else if (onQuery !== 'never-answer-startup') {
          onQuery(socket)
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  return { port: (server.address() as { port: number }).port, server }
}

const db = await startTestPostgres(t)

async function clientVia (onQuery: OnQuery | 'never-answer-startup', limits = {}): Promise<pg.Client & { logLines: Array<Record<string, unknown>> }> {
  const up = await fakeUpstream(onQuery)
  const gw = await startGatewayFixture(t, { pg: db, limits, targets: () => [{ name: 'fake', protocol: 'postgres', upstream: `postgres://svc@127.0.0.1:${up.port}/x`, upstreamTls: 'disable' }] })
  return Object.assign(new pg.Client({ connectionString: gw.url({ database: 'fake' }) }), { logLines: gw.logLines })
}

t.test('an upstream that drops the connection mid-query: FATAL 08006 naming the target', async (t) => {
  const c = await clientVia((s) => { s.destroy() })
  await c.connect()
  c.on('error', () => {})
  await t.rejects(c.query('select 1'), { message: /connection to target "fake" was lost|Connection terminated/ })
})

t.test('an upstream that sends garbage: the session ends with 08006, gatehouse keeps running', async (t) => {
  const c = await clientVia((s) => { s.write(Buffer.from([0x44, 0xff, 0xff, 0xff, 0xff, 1, 2, 3])) })
  await c.connect()
  const ended = new Promise<Error>((resolve) => { c.on('error', resolve) })
  const q = c.query('select 1').catch((e: Error) => e)
  const err = await Promise.race([q, ended])
  t.match(err, { code: '08006' })
})

t.test('an upstream that never finishes its start-up: FATAL 08006 after the handshake deadline', async (t) => {
  const c = await clientVia('never-answer-startup', { handshakeTimeoutMs: 500 })
  await t.rejects(c.connect(), { code: '08006', message: /cannot connect to target "fake": upstream start-up did not finish within 500 ms/ })
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.notOk(c.logLines.some((l) => l.level === 50), 'the late upstream failure after the deadline is not an internal error')
})

t.test('an upstream that asks for a password when none is configured: FATAL 08006 saying so', async (t) => {
  const server = createServer((socket) => {
    socket.on('error', () => {})
    socket.once('data', () => { socket.write(new Writer().int32(3).frame(0x52)) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const gw = await startGatewayFixture(t, { pg: db, targets: () => [{ name: 'nopw', protocol: 'postgres', upstream: `postgres://svc@127.0.0.1:${(server.address() as { port: number }).port}/x`, upstreamTls: 'disable' }] })
  const c = new pg.Client({ connectionString: gw.url({ database: 'nopw' }) })
  await t.rejects(c.connect(), { code: '08006', message: /target nopw has none configured/ })
})
