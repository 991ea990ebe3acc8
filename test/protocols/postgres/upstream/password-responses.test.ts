import t from 'tap'
import { ScramSha256Client } from '../../../../src/protocols/postgres/upstream/scram-sha-256.js'
import { md5PasswordResponse } from '../../../../src/protocols/postgres/upstream/md5-password.js'
import { UpstreamError } from '../../../../src/core/errors.js'

// RFC 7677 section 3: user "user", password "pencil".
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'

t.test('SCRAM-SHA-256 reproduces the RFC 7677 exchange', async (t) => {
  const c = new ScramSha256Client('pencil', { user: 'user', nonce: 'rOprNGfwEbeRWgbNEkqO' })
  t.equal(c.clientFirst(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
  t.equal(await c.clientFinal(SERVER_FIRST), 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')
  t.doesNotThrow(() => { c.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=') })
})

t.test('a server that cannot prove it knows the password is refused', async (t) => {
  const c = new ScramSha256Client('pencil', { user: 'user', nonce: 'rOprNGfwEbeRWgbNEkqO' })
  await c.clientFinal(SERVER_FIRST)
  t.throws(() => { c.verifyServerFinal('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=') }, UpstreamError)
  t.throws(() => { c.verifyServerFinal('e=invalid-proof') }, UpstreamError)
})

t.test('a server nonce that does not extend ours is refused', async (t) => {
  const c = new ScramSha256Client('pencil', { nonce: 'abc' })
  await t.rejects(c.clientFinal('r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'), UpstreamError)
  await t.rejects(c.clientFinal('r=abc123,s=,i=4096'), UpstreamError)
  await t.rejects(c.clientFinal('r=abc123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0'), UpstreamError)
})

t.test('md5 response is md5(md5(password + user) + salt) with the md5 prefix', async (t) => {
  // Computed independently (Python hashlib): md5(hex(md5('secret' + 'bob')) || salt 01020304).
  t.equal(md5PasswordResponse('bob', 'secret', Buffer.from([1, 2, 3, 4])), 'md5f21dfe33ff3a9e03dbc3e008251fe5cc')
})
