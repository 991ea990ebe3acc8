import t from 'tap'
import { callerCredential, clientResponseHeaders, upstreamRequestHeaders } from '../../../src/protocols/http-llm/headers.js'

t.test('the upstream gets the caller\'s headers minus credentials, hop-by-hop and gatehouse\'s own, plus the injected key', async t => {
  const out = upstreamRequestHeaders({
    host: 'gw:18080', authorization: 'Bearer caller', 'x-api-key': 'caller', cookie: 'a=b', connection: 'keep-alive, x-trace',
    'x-trace': 'hop', 'transfer-encoding': 'chunked', 'content-length': '10', 'accept-encoding': 'gzip', 'openai-organization': 'org-caller',
    'x-gatehouse-request-id': 'spoofed', 'anthropic-version': '2023-06-01', 'user-agent': 'sdk/1'
  }, { 'x-api-key': 'real' })
  t.same(out, { 'anthropic-version': '2023-06-01', 'user-agent': 'sdk/1', 'accept-encoding': 'identity', 'x-api-key': 'real' })
})

t.test('the client gets the upstream\'s headers minus hop-by-hop, account ids, cookies and the ids gatehouse sets itself', async t => {
  const up = { 'content-type': 'application/json', 'content-length': '12', 'content-encoding': 'gzip', connection: 'close', 'openai-organization': 'org-real', 'set-cookie': ['a=b'], 'x-gatehouse-request-id': 'other', 'x-gatehouse-overhead-ms': '1', 'x-ratelimit-remaining-requests': '9' }
  t.same(clientResponseHeaders(up, false), { 'content-type': 'application/json', 'content-length': '12', 'content-encoding': 'gzip', 'x-ratelimit-remaining-requests': '9' })
  t.same(clientResponseHeaders(up, true), { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '9' }, 'a rewritten body drops length and encoding')
})

t.test('the caller credential comes from a bearer or x-api-key; anything else is none', async t => {
  t.equal(callerCredential({ authorization: 'Bearer abc.def' }), 'abc.def')
  t.equal(callerCredential({ authorization: 'bearer  abc ' }), 'abc')
  t.equal(callerCredential({ 'x-api-key': ' k ' }), 'k')
  t.equal(callerCredential({ authorization: 'Basic dXNlcjpwYXNz' }), undefined, 'a Basic credential is not a token')
  t.equal(callerCredential({ authorization: 'Bearer a b' }), undefined)
  t.equal(callerCredential({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': 'k' }), 'k', 'x-api-key when the Authorization is not a bearer')
  t.equal(callerCredential({}), undefined)
})
