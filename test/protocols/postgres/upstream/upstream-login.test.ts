import t from 'tap'
import pg from 'pg'
import { chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestPostgres } from '../../../helpers/postgres.js'
import { ensureLocalCa } from '../../../../src/core/tls/index.js'
import { UpstreamError } from '../../../../src/core/errors.js'
import type { PostgresTargetConfig, UpstreamTlsMode } from '../../../../src/core/config/index.js'
import { connectUpstream, type UpstreamSession } from '../../../../src/protocols/postgres/upstream/connect-upstream.js'
import { cancelUpstream } from '../../../../src/protocols/postgres/upstream/cancel-upstream.js'
import { encodeQuery } from '../../../../src/protocols/postgres/messages/query.js'
import { FrameReader, BACKEND } from '../../../../src/protocols/postgres/codec/index.js'
import { decodeErrorFields } from '../../../../src/protocols/postgres/messages/error-response.js'

const db = await startTestPostgres(t)
const admin = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: 'postgres' })
await admin.connect()
t.teardown(async () => { await admin.end() })

// Roles logging in with md5 and cleartext: pg_hba lines ahead of the cluster's scram-sha-256 default.
await admin.query("set password_encryption = 'md5'")
await admin.query("create role md5user login password 'md5-secret'")
await admin.query("reset password_encryption")
await admin.query("create role pwuser login password 'plain-secret'")
const hbaFile = join(db.dataDir, 'pg_hba.conf')
const hba = await readFile(hbaFile, 'utf8')
await writeFile(hbaFile, `host all md5user 127.0.0.1/32 md5\nhost all pwuser 127.0.0.1/32 password\n${hba}`)

// Server TLS from a throwaway local CA.
const caDir = await mkdtemp(join(tmpdir(), 'gatehouse-upstream-ca-'))
t.teardown(async () => { await rm(caDir, { recursive: true, force: true }) })
const tls = await ensureLocalCa(caDir, ['127.0.0.1'])
const owner = await stat(db.dataDir)
for (const [name, pem] of [['gh-server.crt', tls.cert], ['gh-server.key', tls.key]] as const) {
  await writeFile(join(db.dataDir, name), pem, { mode: 0o600 })
  await chown(join(db.dataDir, name), owner.uid, owner.gid)
}
await admin.query("alter system set ssl_cert_file = 'gh-server.crt'")
await admin.query("alter system set ssl_key_file = 'gh-server.key'")
await admin.query('alter system set ssl = on')
await admin.query('select pg_reload_conf()')
await new Promise((resolve) => setTimeout(resolve, 300))

const env = { SUPER_PW: db.password, MD5_PW: 'md5-secret', PLAIN_PW: 'plain-secret', WRONG_PW: 'nope' }
const target = (user: string, passwordEnv: string, upstreamTls: UpstreamTlsMode = 'disable', extra: Partial<PostgresTargetConfig> = {}): PostgresTargetConfig =>
  ({ name: 't', protocol: 'postgres', upstream: `postgres://${user}@${db.host}:${db.port}/postgres`, passwordEnv, upstreamTls, ...extra })

/** Runs one simple query on a logged-in upstream and returns the first DataRow's first value. */
async function scalar (up: UpstreamSession, sql: string): Promise<string | null> {
  const reader = new FrameReader('server')
  if (up.leftover.length > 0) reader.push(up.leftover)
  up.socket.resume()
  up.socket.write(encodeQuery({ sql }))
  let value: string | null = null
  for (;;) {
    let f = reader.next()
    while (f === undefined) {
      reader.push(await new Promise<Buffer>((resolve) => up.socket.once('data', resolve)))
      f = reader.next()
    }
    if (f.code === BACKEND.DATA_ROW) {
      const len = f.body.readInt32BE(2)
      value = len === -1 ? null : f.body.subarray(6, 6 + len).toString()
    }
    if (f.code === BACKEND.ERROR_RESPONSE) throw new Error(decodeErrorFields(f.body).message)
    if (f.code === BACKEND.READY_FOR_QUERY) return value
  }
}

const login = async (tc: PostgresTargetConfig, params: Record<string, string> = {}): Promise<UpstreamSession> => {
  const up = await connectUpstream({ target: tc, params, timeoutMs: 5000, env })
  t.teardown(() => { up.socket.destroy() })
  return up
}

t.test('SCRAM-SHA-256 login with the injected password, client parameters passed on', async (t) => {
  const up = await login(target(db.user, 'SUPER_PW'), { application_name: 'via-gatehouse' })
  t.equal(await scalar(up, 'select current_user'), db.user)
  t.equal(await scalar(up, "select current_setting('application_name')"), 'via-gatehouse')
  t.ok(up.startupFrames.length > 5, 'ParameterStatus frames collected for the client')
})

t.test('md5 and cleartext logins', async (t) => {
  t.equal(await scalar(await login(target('md5user', 'MD5_PW')), 'select current_user'), 'md5user')
  t.equal(await scalar(await login(target('pwuser', 'PLAIN_PW')), 'select current_user'), 'pwuser')
})

t.test('a wrong injected password fails as UpstreamError without the password in the message', async (t) => {
  const err = await connectUpstream({ target: target(db.user, 'WRONG_PW'), params: {}, timeoutMs: 5000, env }).catch((e: unknown) => e)
  t.type(err, UpstreamError)
  t.notMatch(String((err as Error).message), /nope/)
})

t.test('an unreachable upstream fails fast as UpstreamError', async (t) => {
  const err = await connectUpstream({ target: { ...target(db.user, 'SUPER_PW'), upstream: 'postgres://x@127.0.0.1:1/postgres' }, params: {}, timeoutMs: 5000, env }).catch((e: unknown) => e)
  t.type(err, UpstreamError)
  t.match((err as Error).message, /cannot reach 127\.0\.0\.1:1/)
})

t.test('upstream_tls require and prefer use TLS when the server offers it', async (t) => {
  for (const mode of ['require', 'prefer'] as const) {
    const up = await login(target(db.user, 'SUPER_PW', mode))
    t.equal(await scalar(up, 'select ssl::text from pg_stat_ssl where pid = pg_backend_pid()'), 'true', mode)
  }
  t.equal(await scalar(await login(target(db.user, 'SUPER_PW', 'disable')), 'select ssl::text from pg_stat_ssl where pid = pg_backend_pid()'), 'false')
})

t.test('verify-full accepts the right CA and refuses an unknown one', async (t) => {
  const up = await login(target(db.user, 'SUPER_PW', 'verify-full', { upstreamCa: tls.caFile }))
  t.equal(await scalar(up, 'select ssl::text from pg_stat_ssl where pid = pg_backend_pid()'), 'true')
  const err = await connectUpstream({ target: target(db.user, 'SUPER_PW', 'verify-full'), params: {}, timeoutMs: 5000, env }).catch((e: unknown) => e)
  t.type(err, UpstreamError)
  t.match((err as Error).message, /TLS/)
})

t.test('a cancel request over TLS stops the upstream query', async (t) => {
  const tc = target(db.user, 'SUPER_PW', 'require')
  const up = await login(tc)
  const running = scalar(up, 'select pg_sleep(30)').catch((e: Error) => e.message)
  await new Promise((resolve) => setTimeout(resolve, 300))
  await cancelUpstream(tc, up.key, 5000)
  t.match(await running, /canceling statement due to user request/)
})
