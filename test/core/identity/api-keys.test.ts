import t from 'tap'
import { createIdentityVerifier, hashApiKey } from '../../../src/core/identity/index.js'
import { createLogger } from '../../../src/core/log/index.js'

const log = createLogger({ level: 'silent', destination: { write: () => {} } })
const KEY = 'ghk_3f9a0c7e1b2d4e6f8a0b1c2d3e4f5a6b'

async function verifier (): Promise<ReturnType<typeof createIdentityVerifier>> {
  return createIdentityVerifier({
    oidc: [],
    apiKeys: [{ name: 'etl-bot', sha256: hashApiKey(KEY), groups: ['etl'] }, { name: 'report-bot', sha256: hashApiKey('other-key'), groups: [] }],
    devIssuer: false
  }, { dataDir: t.testdirName, log })
}

t.test('the right API key gives the named machine identity without expiry', async (t) => {
  const v = await verifier()
  t.same(await v.verify(KEY), { sub: 'etl-bot', iss: 'gatehouse:api-key', groups: ['etl'], via: 'api_key' })
  t.equal((await v.verify('other-key')).sub, 'report-bot')
})

t.test('a wrong API key is refused without echoing it', async (t) => {
  const v = await verifier()
  for (const wrong of [KEY.slice(0, -1), `${KEY}x`, KEY.toUpperCase(), hashApiKey(KEY)]) {
    const err = await v.verify(wrong).then(() => undefined, (e: Error) => e)
    t.match(err, { code: 'GH_AUTH', message: 'unknown API key' })
    t.notOk(err?.message.includes(wrong))
  }
})

t.test('a configured hash that is not SHA-256 hex stops start-up', async (t) => {
  await t.rejects(createIdentityVerifier({ oidc: [], apiKeys: [{ name: 'bad', sha256: 'abc', groups: [] }], devIssuer: false }, { dataDir: t.testdirName, log }),
    { code: 'GH_CONFIG', message: /bad.*64 hex/ })
})

t.test('hashApiKey is the hex SHA-256 users put in the config', async (t) => {
  t.equal(hashApiKey('test'), '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')
})

t.test('an API key that looks like a JWT (two dots) still works', async (t) => {
  const dotted = 'gh.live.3f9a0c7e1b2d4e6f'
  const v = await createIdentityVerifier({ oidc: [], apiKeys: [{ name: 'dotted-bot', sha256: hashApiKey(dotted), groups: [] }], devIssuer: false }, { dataDir: t.testdirName, log })
  t.equal((await v.verify(dotted)).sub, 'dotted-bot')
  await t.rejects(v.verify('gh.live.wrong'), { message: 'unknown API key' })
})
