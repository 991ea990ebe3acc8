import t from 'tap'
import fc from 'fast-check'
import { createIdentityVerifier, hashApiKey, mintDevToken } from '../../../src/core/identity/index.js'
import { createLogger } from '../../../src/core/log/index.js'
import { AuthError } from '../../../src/core/errors.js'

const log = createLogger({ level: 'silent', destination: { write: () => {} } })
const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/)
const jsonSegment = fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'))

t.test('any credential is either verified or refused with an AuthError that does not quote it', async (t) => {
  const dataDir = t.testdir()
  const v = await createIdentityVerifier({ oidc: [], apiKeys: [{ name: 'k', sha256: hashApiKey('the-key'), groups: [] }], devIssuer: true }, { dataDir, log })
  const token = await mintDevToken({ dataDir, sub: 'alice', groups: [], ttlS: 600 })
  const [h, p, s] = token.split('.')
  const credential = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
    fc.tuple(jsonSegment, jsonSegment, segment).map((parts) => parts.join('.')),
    // A real token with one part swapped for noise: never accepted.
    fc.tuple(fc.constantFrom(0, 1, 2), segment.filter((x) => x.length > 0)).map(([i, noise]) => [h, p, s].map((part, j) => j === i ? noise : part).join('.'))
  )
  await fc.assert(fc.asyncProperty(credential, async (c) => {
    const err = await v.verify(c).then(() => undefined, (e: unknown) => e)
    if (!(err instanceof AuthError)) return false
    return c.length < 8 || !err.message.includes(c)
  }), { numRuns: 500 })
  t.match(await v.verify(token), { sub: 'alice' }, 'the unaltered token still verifies')
})
