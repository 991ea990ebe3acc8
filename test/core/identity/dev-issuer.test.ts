import t from 'tap'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { createIdentityVerifier, devIssuerJwks, mintDevToken, DEV_ISSUER } from '../../../src/core/identity/index.js'
import { createLogger } from '../../../src/core/log/index.js'

const log = createLogger({ level: 'silent', destination: { write: () => {} } })

t.test('a minted dev token round-trips through the verifier', async (t) => {
  const dataDir = t.testdir()
  const v = await createIdentityVerifier({ oidc: [], apiKeys: [], devIssuer: true }, { dataDir, log })
  const token = await mintDevToken({ dataDir, sub: 'alice', groups: ['analysts'], email: 'alice@example.com', ttlS: 600 })
  const identity = await v.verify(token)
  t.match(identity, { sub: 'alice', iss: DEV_ISSUER, groups: ['analysts'], email: 'alice@example.com', via: 'dev' })
  t.ok(identity.expiresAt !== undefined && Math.abs(identity.expiresAt - (Date.now() / 1000 + 600)) < 5, 'expires after the ttl')
  t.equal(decodeProtectedHeader(token).alg, 'EdDSA')
  t.match(decodeJwt(token), { aud: 'gatehouse' })
})

t.test('the key is created once with mode 0600 and reused', async (t) => {
  const dataDir = t.testdir()
  const [a, b] = await Promise.all([devIssuerJwks(dataDir), devIssuerJwks(dataDir)])
  t.same(a, b, 'concurrent first uses agree on one key')
  const file = join(dataDir, 'dev-issuer', 'signing-key.jwk.json')
  t.equal((await stat(file)).mode & 0o777, 0o600)
  t.same(await devIssuerJwks(dataDir), a, 'reused')
  t.notOk(JSON.stringify(a).includes(JSON.parse(await readFile(file, 'utf8')).d), 'the JWKS holds no private part')
})

t.test('dev tokens are refused when the dev issuer is off, or from another data dir', async (t) => {
  const dataDir = t.testdir({ a: {}, b: {} })
  const token = await mintDevToken({ dataDir: join(dataDir, 'a'), sub: 'alice', groups: [], ttlS: 600 })
  const off = await createIdentityVerifier({ oidc: [], apiKeys: [], devIssuer: false }, { dataDir: join(dataDir, 'a'), log })
  await t.rejects(off.verify(token), { message: 'token issuer not trusted' })
  const other = await createIdentityVerifier({ oidc: [], apiKeys: [], devIssuer: true }, { dataDir: join(dataDir, 'b'), log })
  await t.rejects(other.verify(token), { message: 'signing key not found' })
})

t.test('an expired dev token is refused', async (t) => {
  const dataDir = t.testdir()
  const v = await createIdentityVerifier({ oidc: [], apiKeys: [], devIssuer: true }, { dataDir, log })
  const token = await mintDevToken({ dataDir, sub: 'alice', groups: [], ttlS: -60 })
  await t.rejects(v.verify(token), { message: 'token expired' })
})

t.test('a damaged key file is reported, not silently replaced', async (t) => {
  const dataDir = t.testdir({ 'dev-issuer': { 'signing-key.jwk.json': '{"kty":"RSA"}' } })
  await t.rejects(devIssuerJwks(dataDir), { code: 'GH_CONFIG', message: /delete the file/ })
})
