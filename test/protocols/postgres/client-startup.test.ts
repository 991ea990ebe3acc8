import t from 'tap'
import pg from 'pg'
import { readFile } from 'node:fs/promises'
import { connect as tlsConnect } from 'node:tls'
import { FrameReader } from '../../../src/protocols/postgres/codec/index.js'
import { startTestPostgres } from '../../helpers/postgres.js'
import { startGatewayFixture, ALICE } from './gateway-fixture.js'
import { WireClient } from './wire-client.js'
import { encodeSslRequest } from '../../../src/protocols/postgres/messages/ssl-request.js'
import { encodeGssencRequest } from '../../../src/protocols/postgres/messages/gssenc-request.js'
import { encodeStartupMessage } from '../../../src/protocols/postgres/messages/startup-message.js'
import { encodePasswordMessage } from '../../../src/protocols/postgres/messages/password-message.js'
import { encodeQuery } from '../../../src/protocols/postgres/messages/query.js'
import { decodeErrorFields } from '../../../src/protocols/postgres/messages/error-response.js'
import { decodeAuthenticationKind } from '../../../src/protocols/postgres/messages/authentication.js'

const db = await startTestPostgres(t)
const gw = await startGatewayFixture(t, { pg: db, tls: 'auto', limits: { maxMessageBytes: 64 * 1024 } })
const startup = encodeStartupMessage({ version: 196608, params: { user: 'alice', database: 'analytics' } })

const wire = (): WireClient => {
  const c = new WireClient(gw.host, gw.port)
  t.teardown(() => { c.socket.destroy() })
  return c
}

t.test('GSSENCRequest is answered N and the start-up goes on in plaintext', async (t) => {
  const c = wire()
  c.send(encodeGssencRequest())
  t.equal((await c.bytes(1)).toString('latin1', 0, 1), 'N')
  c.send(startup)
  const r = await c.frame('R', 1)
  t.equal(r !== undefined && decodeAuthenticationKind(r.body), 3, 'cleartext password requested')
})

t.test('plaintext bytes queued behind an SSLRequest are refused with 08P01 before any TLS', async (t) => {
  const c = wire()
  c.send(encodeSslRequest(), startup)
  await c.closed
  t.match(decodeErrorFields(c.frames()[0].body), { severity: 'FATAL', code: '08P01', message: 'received unencrypted data after SSL request' })
  t.equal(c.frames().length, 1)
})

t.test('a startup packet without a user is FATAL 08P01', async (t) => {
  const c = wire()
  c.send(encodeStartupMessage({ version: 196608, params: { database: 'analytics' } }))
  const e = await c.frame('E')
  t.match(e !== undefined && decodeErrorFields(e.body), { severity: 'FATAL', code: '08P01' })
  await c.closed
})

t.test('garbage after the start-up closes the connection cleanly with 08P01', async (t) => {
  const c = wire()
  c.send(startup)
  await c.frame('R')
  c.send(encodePasswordMessage('token-of-alice'))
  await c.frame('Z')
  c.send(Buffer.from([0x51, 0, 0, 0, 1, 0xff, 0xff]))
  await c.closed
  const errs = c.frames().filter((f) => f.code === 0x45).map((f) => decodeErrorFields(f.body))
  t.match(errs.at(-1), { severity: 'FATAL', code: '08P01', message: /invalid message length/ })
})

t.test('a message over max_message_bytes is refused before it is buffered', async (t) => {
  const c = wire()
  c.send(startup)
  await c.frame('R')
  c.send(encodePasswordMessage('token-of-alice'))
  await c.frame('Z')
  c.send(encodeQuery({ sql: `select '${'x'.repeat(70 * 1024)}'` }))
  await c.closed
  const errs = c.frames().filter((f) => f.code === 0x45).map((f) => decodeErrorFields(f.body))
  t.match(errs.at(-1), { code: '08P01', message: /exceeds the 65536-byte limit/ })
})

t.test('auth is checked before the database: a bad token for an unknown database is 28P01', async (t) => {
  const c = new pg.Client({ connectionString: gw.url({ password: 'bad', database: 'nope' }) })
  await t.rejects(c.connect(), { code: '28P01' })
})

t.test('the session ends with FATAL when the token expires', async (t) => {
  gw.tokens.set('short-lived', { ...ALICE, expiresAt: Math.floor(Date.now() / 1000) + 2 })
  const c = new pg.Client({ connectionString: gw.url({ password: 'short-lived' }) })
  const ended = new Promise<Error>((resolve) => { c.on('error', resolve) })
  await c.connect()
  t.equal((await c.query('select 1 as n')).rows[0].n, 1)
  const err = await ended
  t.match(err, { code: '28000', message: /token expired/ })
})

t.test('a listener without loopback plaintext refuses a plaintext token and accepts TLS', async (t) => {
  const strict = await startGatewayFixture(t, { pg: db, tls: 'auto', allowLoopbackPlaintext: false })
  const plain = new pg.Client({ connectionString: strict.url(), ssl: false })
  await t.rejects(plain.connect(), { code: '28000', message: /only over TLS/ })
  t.notOk(strict.audits.length, 'nothing decided')
  const ca = await readFile(strict.caFile as string, 'utf8')
  const secure = new pg.Client({ connectionString: strict.url(), ssl: { ca } })
  await secure.connect()
  t.equal((await secure.query('select 1 as n')).rows[0].n, 1)
  await secure.end()
})

t.test('shutdown ends open sessions with FATAL 57P01 after the grace period', async (t) => {
  const doomed = await startGatewayFixture(t, { pg: db })
  const c = new pg.Client({ connectionString: doomed.url() })
  const ended = new Promise<Error>((resolve) => { c.on('error', resolve) })
  await c.connect()
  await doomed.gateway.close()
  t.match(await ended, { code: '57P01' })
})

t.test('PG17 direct SSL (TLS first, ALPN postgresql) needs no SSLRequest', async (t) => {
  const ca = await readFile(gw.caFile as string, 'utf8')
  const socket = tlsConnect({ host: gw.host, port: gw.port, ca, ALPNProtocols: ['postgresql'], servername: 'localhost' })
  t.teardown(() => { socket.destroy() })
  await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject) })
  t.equal(socket.alpnProtocol, 'postgresql')
  const reader = new FrameReader('server')
  const codes: string[] = []
  await new Promise<void>((resolve) => {
    socket.on('data', (c: Buffer) => {
      reader.push(c)
      for (let f = reader.next(); f !== undefined; f = reader.next()) {
        codes.push(String.fromCharCode(f.code))
        if (f.code === 0x52 && decodeAuthenticationKind(f.body) === 3) socket.write(encodePasswordMessage('token-of-alice'))
        if (f.code === 0x5a) resolve()
      }
    })
    socket.write(startup)
  })
  t.same(codes.filter((c) => c !== 'S'), ['R', 'R', 'K', 'Z'], 'password asked, then AuthenticationOk, BackendKeyData, ReadyForQuery')
})

t.test('readiness reports each postgres target reachable, and an unreachable one not; connecting to it is FATAL 08006', async (t) => {
  const checks = (await gw.gateway.readiness()).checks
  t.match(checks.find((c) => c.name === 'postgres:analytics'), { ok: true })
  const broken = await startGatewayFixture(t, { pg: db, targets: () => [{ name: 'gone', protocol: 'postgres', upstream: 'postgres://x@127.0.0.1:1/x', upstreamTls: 'disable' }] })
  t.match((await broken.gateway.readiness()).checks.find((c) => c.name === 'postgres:gone'), { ok: false, detail: /cannot reach/ })
  const c = new pg.Client({ connectionString: broken.url({ database: 'gone' }) })
  await t.rejects(c.connect(), { code: '08006', message: /cannot connect to target "gone": cannot reach 127\.0\.0\.1:1/ })
})

t.test('a client that never sends its password is closed after the handshake deadline', async (t) => {
  const slow = await startGatewayFixture(t, { pg: db, limits: { handshakeTimeoutMs: 300 } })
  const c = new WireClient(slow.host, slow.port)
  t.teardown(() => { c.socket.destroy() })
  c.send(startup)
  await c.frame('R')
  await c.closed
  t.ok(c.socket.destroyed)
})
