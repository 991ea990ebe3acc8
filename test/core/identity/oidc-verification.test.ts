import t, { type Test } from 'tap'
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { SignJWT } from 'jose'
import { createIdentityVerifier, type IdentityVerifier } from '../../../src/core/identity/index.js'
import type { IdentityConfig, OidcIssuerConfig } from '../../../src/core/config/index.js'
import { createLogger } from '../../../src/core/log/index.js'
import { AuthError } from '../../../src/core/errors.js'
import { startFakeIdp, type FakeIdp } from './fake-idp.js'

const logLines: string[] = []
const log = createLogger({ level: 'debug', destination: { write: (s: string) => { logLines.push(s) } } })
const now = (): number => Math.floor(Date.now() / 1000)
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

let idp: FakeIdp
t.before(async () => { idp = await startFakeIdp() })
t.teardown(async () => { await idp.close() })

function issuerCfg (overrides: Partial<OidcIssuerConfig> = {}): OidcIssuerConfig {
  return { issuer: idp.issuer, audience: 'gatehouse', groupsClaim: 'groups', algorithms: [], clockToleranceS: 30, ...overrides }
}

async function verifier (oidc: Partial<OidcIssuerConfig> = {}, jwksCooldownMs?: number): Promise<IdentityVerifier> {
  const cfg: IdentityConfig = { oidc: [issuerCfg(oidc)], apiKeys: [], devIssuer: false }
  return createIdentityVerifier(cfg, { dataDir: t.testdirName, log, jwksCooldownMs })
}

/** Verifies and returns the refusal, checking it is an AuthError that does not echo the credential. */
async function refusal (t: Test, v: IdentityVerifier, credential: string): Promise<string> {
  const err = await v.verify(credential).then(() => undefined, (e: unknown) => e)
  t.type(err, AuthError, 'refused with an AuthError')
  const message = (err as Error).message
  for (const part of credential.split('.').filter((p) => p.length > 8)) {
    t.notOk(message.includes(part), 'the reason does not quote the token')
  }
  return message
}

t.test('a valid token from a discovered issuer gives its identity', async (t) => {
  const v = await verifier()
  const exp = now() + 300
  const token = await idp.sign({ sub: 'alice', email: 'alice@example.com', groups: ['analysts', 'dev'], exp })
  t.same(await v.verify(token), { sub: 'alice', iss: idp.issuer, groups: ['analysts', 'dev'], email: 'alice@example.com', via: 'oidc', expiresAt: exp })
  t.equal(idp.discoveryFetches > 0, true, 'jwks_uri came from discovery')
})

t.test('an issuer configured with a trailing slash matches tokens without one', async (t) => {
  const v = await verifier({ issuer: `${idp.issuer}/` })
  t.equal((await v.verify(await idp.sign({}))).sub, 'alice')
})

t.test('a configured jwks_uri skips discovery', async (t) => {
  const before = idp.discoveryFetches
  const v = await verifier({ jwksUri: `${idp.issuer}/jwks` })
  t.equal((await v.verify(await idp.sign({}))).sub, 'alice')
  t.equal(idp.discoveryFetches, before)
})

t.test('time claims are checked with the clock tolerance', async (t) => {
  const v = await verifier()
  t.equal(await refusal(t, v, await idp.sign({ exp: now() - 120 })), 'token expired')
  t.equal(await refusal(t, v, await idp.sign({ nbf: now() + 120 })), 'token not yet valid')
  t.equal((await v.verify(await idp.sign({ exp: now() - 10 }))).sub, 'alice', 'expired 10 s ago is within the 30 s tolerance')
  const strict = await verifier({ clockToleranceS: 0 })
  t.equal(await refusal(t, strict, await idp.sign({ exp: now() - 10 })), 'token expired')
})

t.test('issuer and audience must be the configured ones', async (t) => {
  const v = await verifier()
  const fetchesBefore = idp.discoveryFetches + idp.jwksFetches
  t.equal(await refusal(t, v, await idp.sign({ iss: 'https://evil.example.com' })), 'token issuer not trusted')
  t.equal(idp.discoveryFetches + idp.jwksFetches, fetchesBefore, 'an untrusted issuer causes no fetch')
  t.equal(await refusal(t, v, await idp.sign({ iss: undefined })), 'token issuer not trusted')
  t.equal(await refusal(t, v, await idp.sign({ aud: 'someone-else' })), 'token audience mismatch')
})

t.test('sub and exp are required', async (t) => {
  const v = await verifier()
  t.equal(await refusal(t, v, await idp.sign({ exp: undefined })), 'token has no expiry')
  t.equal(await refusal(t, v, await idp.sign({ sub: undefined })), 'token has no subject')
})

t.test('alg none is refused', async (t) => {
  const v = await verifier()
  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: idp.issuer, aud: 'gatehouse', sub: 'mallory', exp: now() + 300 })}.`
  t.equal(await refusal(t, v, unsigned), 'unsupported token algorithm')
})

t.test('an HS256 token signed with the issuer public key is refused', async (t) => {
  const v = await verifier()
  const key = idp.published[0]
  const pem = createPublicKey({ key: key.publicJwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
  const forged = await new SignJWT({ iss: idp.issuer, aud: 'gatehouse', sub: 'mallory', exp: now() + 300 })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .sign(new TextEncoder().encode(pem))
  t.equal(await refusal(t, v, forged), 'unsupported token algorithm')
})

t.test('algorithms are pinned per issuer', async (t) => {
  const v = await verifier({ algorithms: ['ES256'] })
  t.equal(await refusal(t, v, await idp.sign({})), 'unsupported token algorithm', 'RS256 refused by an ES256-only issuer')
  await t.rejects(verifier({ algorithms: ['HS256'] }), { code: 'GH_CONFIG' }, 'HS256 cannot be configured')
})

t.test('a token signed by a different key under a published kid is refused', async (t) => {
  const v = await verifier()
  const impostor = await idp.newKey('RS256', idp.published[0].kid)
  t.equal(await refusal(t, v, await idp.sign({}, { key: impostor })), 'token signature invalid')
})

t.test('an unknown kid refetches the JWKS, so a rotated key is accepted', async (t) => {
  const v = await verifier({}, 0)
  const old = idp.published[0]
  t.equal((await v.verify(await idp.sign({}))).sub, 'alice')
  const next = await idp.newKey('ES256')
  t.equal(await refusal(t, v, await idp.sign({}, { key: next })), 'signing key not found', 'not yet published')
  const fetches = idp.jwksFetches
  idp.published.splice(0, idp.published.length, next)
  t.teardown(() => { idp.published.splice(0, idp.published.length, old) })
  t.equal((await v.verify(await idp.sign({ sub: 'bob' }, { key: next }))).sub, 'bob', 'accepted after rotation')
  t.equal(idp.jwksFetches, fetches + 1, 'one refetch')
})

t.test('unknown kids do not refetch the JWKS more than once per cooldown', async (t) => {
  const v = await verifier()
  t.equal((await v.verify(await idp.sign({}))).sub, 'alice')
  const fetches = idp.jwksFetches
  const stranger = await idp.newKey()
  for (let i = 0; i < 20; i++) {
    t.equal(await refusal(t, v, await idp.sign({}, { key: stranger })), 'signing key not found')
  }
  t.equal(idp.jwksFetches, fetches, 'no refetch within the cooldown')
})

t.test('groups come from a configurable, possibly nested, claim', async (t) => {
  const nested = await verifier({ groupsClaim: 'realm_access.roles' })
  t.same((await nested.verify(await idp.sign({ realm_access: { roles: ['admin', 'etl'] } }))).groups, ['admin', 'etl'])
  const urlish = await verifier({ groupsClaim: 'https://example.com/groups' })
  t.same((await urlish.verify(await idp.sign({ 'https://example.com/groups': ['ops'] }))).groups, ['ops'], 'a claim name with dots is read as one key')
  const single = await verifier({ groupsClaim: 'role' })
  t.same((await single.verify(await idp.sign({ role: 'auditor' }))).groups, ['auditor'], 'a string is one group')
  t.same((await single.verify(await idp.sign({}))).groups, [], 'absent claim: no groups')
})

t.test('an unreachable or inconsistent IdP gives "issuer keys unavailable"', async (t) => {
  const cfg: IdentityConfig = { oidc: [issuerCfg({ issuer: 'http://127.0.0.1:1' })], apiKeys: [], devIssuer: false }
  const down = await createIdentityVerifier(cfg, { dataDir: t.testdirName, log })
  const token = await idp.sign({ iss: 'http://127.0.0.1:1' })
  t.equal(await refusal(t, down, token), 'issuer keys unavailable')
  const lying = await createIdentityVerifier(cfg, {
    dataDir: t.testdirName,
    log,
    fetch: async () => Response.json({ issuer: 'https://other.example.com', jwks_uri: `${idp.issuer}/jwks` })
  })
  t.equal(await refusal(t, lying, token), 'issuer keys unavailable', 'discovery naming another issuer is not trusted')
})

t.test('garbage credentials are refused with a reason, never echoed', async (t) => {
  const v = await verifier()
  const garbage = ['x', 'not-a-token-but-long-enough', 'a.b.c', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0', 'eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln',
    `${b64({ alg: 'RS256' })}.${b64([1, 2])}.c2lnbmF0dXJl`, '\u0000\uffff', 'a'.repeat(20_000), '....', ' eyJ.eyJ.x']
  for (const g of garbage) {
    const message = await refusal(t, v, g)
    t.match(message, /^(malformed token|unknown API key|unsupported token algorithm|token issuer not trusted)$/, `refused: ${message}`)
  }
  t.equal(await refusal(t, v, ''), 'no credential')
})

t.test('no log line carries a token', async (t) => {
  const token = await idp.sign({ exp: now() - 120 })
  await (await verifier()).verify(token).catch(() => {})
  t.ok(logLines.length > 0, 'refusals are logged')
  t.notOk(logLines.some((l) => l.includes(token.split('.')[2])), 'the signature never appears')
})

t.test('a down IdP is asked once, not once per token', async (t) => {
  let calls = 0
  const cfg: IdentityConfig = { oidc: [issuerCfg()], apiKeys: [], devIssuer: false }
  const v = await createIdentityVerifier(cfg, { dataDir: t.testdirName, log, fetch: async () => { calls++; return new Response('down', { status: 503 }) } })
  const token = await idp.sign({})
  for (let i = 0; i < 5; i++) t.equal(await refusal(t, v, token), 'issuer keys unavailable')
  t.equal(calls, 1, 'one discovery attempt within the retry interval')
})

t.test('concurrent first tokens share one discovery and one JWKS fetch', async (t) => {
  const before = { discovery: idp.discoveryFetches, jwks: idp.jwksFetches }
  const v = await verifier()
  const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => idp.sign({ sub: `user-${i}` })))
  const identities = await Promise.all(tokens.map((tok) => v.verify(tok)))
  t.same(identities.map((i) => i.sub), tokens.map((_, i) => `user-${i}`))
  t.equal(idp.discoveryFetches - before.discovery, 1)
  t.equal(idp.jwksFetches - before.jwks, 1)
})

t.test('a JWKS that is not JSON gives "issuer keys unavailable"', async (t) => {
  const cfg: IdentityConfig = { oidc: [issuerCfg({ jwksUri: `${idp.issuer}/broken-jwks` })], apiKeys: [], devIssuer: false }
  const v = await createIdentityVerifier(cfg, { dataDir: t.testdirName, log, fetch: async () => new Response('<html>oops</html>', { status: 200 }) })
  t.equal(await refusal(t, v, await idp.sign({})), 'issuer keys unavailable')
})
