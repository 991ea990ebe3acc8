import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { createIdentityVerifier } from '../../../src/core/identity/index.js'
import { createLogger } from '../../../src/core/log/index.js'
import { runGatehouse } from './run-gatehouse.js'

const log = createLogger({ level: 'silent', destination: { write: () => {} } })

t.test('in dev mode it prints only a token the gateway accepts', async (t) => {
  const cwd = t.testdir()
  const r = await runGatehouse(cwd, ['token', '--sub', 'alice', '--groups', 'analysts, dba', '--email', 'alice@example.com', '--ttl', '15m'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stderr, '')
  t.match(r.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'the token and a newline, nothing else')
  const verifier = await createIdentityVerifier({ oidc: [], apiKeys: [], devIssuer: true }, { dataDir: join(cwd, '.gatehouse'), log })
  const identity = await verifier.verify(r.stdout.trim())
  t.match(identity, { sub: 'alice', groups: ['analysts', 'dba'], email: 'alice@example.com', via: 'dev' })
  t.ok(Math.abs(identity.expiresAt! - (Date.now() / 1000 + 900)) < 10, 'expires in 15 minutes')
})

t.test('defaults: sub dev, groups analysts, one hour', async (t) => {
  const r = await runGatehouse(t.testdir(), ['token'])
  t.equal(r.code, 0, r.stderr)
  const claims = decodeJwt(r.stdout.trim())
  t.match(claims, { sub: 'dev', groups: ['analysts'], iss: 'gatehouse-dev', aud: 'gatehouse' })
  t.equal(claims.exp! - claims.iat!, 3600)
  t.notOk('email' in claims)
  const none = await runGatehouse(t.testdirName, ['token', '--groups', ''])
  t.same(decodeJwt(none.stdout.trim()).groups, [], "--groups '' gives none")
})

t.test('with a config whose dev issuer is off it refuses on stderr', async (t) => {
  const cwd = t.testdir({ 'gatehouse.yaml': 'identity:\n  dev_issuer: false\n' })
  const r = await runGatehouse(cwd, ['token'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.match(r.stderr, /^gatehouse token: the dev issuer is off .*identity\.dev_issuer: true/)
})

t.test('with identity.dev_issuer: true in a config it mints into that data_dir', async (t) => {
  const cwd = t.testdir()
  await writeFile(join(cwd, 'gatehouse.yaml'), 'data_dir: ./state\nidentity:\n  dev_issuer: true\n')
  const r = await runGatehouse(cwd, ['token', '--sub', 'bob'])
  t.equal(r.code, 0, r.stderr)
  const verifier = await createIdentityVerifier({ oidc: [], apiKeys: [], devIssuer: true }, { dataDir: join(cwd, 'state'), log })
  t.equal((await verifier.verify(r.stdout.trim())).sub, 'bob')
})

t.test('a bad --ttl is refused with the accepted forms', async (t) => {
  for (const ttl of ['soon', '0s', '31d', '-1h']) {
    const r = await runGatehouse(t.testdir(), ['token', `--ttl=${ttl}`])
    t.equal(r.code, 1, ttl)
    t.match(r.stderr, /expected a duration from 1s to 30d/)
    t.equal(r.stdout, '')
  }
  for (const [ttl, seconds] of [['30s', 30], ['7d', 604800]] as const) {
    const claims = decodeJwt((await runGatehouse(t.testdir(), ['token', '--ttl', ttl])).stdout.trim())
    t.equal(claims.exp! - claims.iat!, seconds, ttl)
  }
})
