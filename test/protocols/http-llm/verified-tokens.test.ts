import t from 'tap'
import { AuthError } from '../../../src/core/errors.js'
import type { Identity } from '../../../src/core/events/index.js'
import { VERIFIED_TOKEN_TTL_MS, VerifiedTokens } from '../../../src/protocols/http-llm/verified-tokens.js'

const alice: Identity = { sub: 'alice', iss: 'i', groups: [], via: 'oidc', expiresAt: 1_000 }

t.test('a verified token is trusted for a while, never past its expiry, and failures are checked every time', async t => {
  let now = 0
  let calls = 0
  const tokens = new VerifiedTokens({ verify: async (c) => { calls++; if (c !== 'good') throw new AuthError('bad'); return alice } }, () => now)
  t.equal((await tokens.verify('good')).sub, 'alice')
  await tokens.verify('good')
  t.equal(calls, 1, 'the second request reused the verification')
  now = VERIFIED_TOKEN_TTL_MS + 1
  await tokens.verify('good')
  t.equal(calls, 2, 'verified again after the TTL')

  now = 999_999
  await tokens.verify('good')
  now = 1_000_000
  await tokens.verify('good')
  t.equal(calls, 4, 'not trusted at or past the token expiry (1000 s) even within the TTL')

  await t.rejects(tokens.verify('bad'), AuthError)
  await t.rejects(tokens.verify('bad'), AuthError)
  t.equal(calls, 6, 'a failure is not remembered')
})
