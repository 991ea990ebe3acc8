import t from 'tap'
import OpenAI from 'openai'
import Anthropic from '@anthropic-ai/sdk'
import { ANTHROPIC_KEY, OPENAI_KEY, TOKEN, rawRequest, startGateway } from './harness.js'

t.test('the OpenAI SDK pointed at /openai/v1 reaches the upstream with the target key, never the caller token', async t => {
  const gw = await startGateway(t)
  const client = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse()
  t.equal(data.choices[0].message.content, 'Hello from the fake upstream.')
  t.match(response.headers.get('x-gatehouse-request-id'), /^[0-9a-f]{12}-/)
  t.match(response.headers.get('x-gatehouse-overhead-ms'), /^\d+\.\d\d$/)
  const [seen] = gw.fake.requests
  t.equal(seen.url, '/v1/chat/completions', 'the /v1 of the upstream URL and of the client path join once')
  t.equal(seen.headers.authorization, `Bearer ${OPENAI_KEY}`)
  t.notOk(JSON.stringify(seen.headers).includes(TOKEN), 'the caller token is stripped')
  t.equal(seen.headers['x-stainless-lang'], 'js', 'ordinary client headers pass')
})

t.test('the Anthropic SDK pointed at /anthropic gets x-api-key injected, its version and beta headers kept', async t => {
  const gw = await startGateway(t)
  const client = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: TOKEN, maxRetries: 0 })
  const msg = await client.beta.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], betas: ['token-efficient-tools-2025-02-19'] })
  t.same(msg.content, [{ type: 'text', text: 'Hello from the fake upstream.' }])
  const [seen] = gw.fake.requests
  t.equal(seen.url, '/v1/messages')
  t.equal(seen.headers['x-api-key'], ANTHROPIC_KEY)
  t.equal(seen.headers.authorization, undefined, 'the bearer the SDK sent is not forwarded')
  t.equal(seen.headers['anthropic-beta'], 'token-efficient-tools-2025-02-19')
  t.ok(seen.headers['anthropic-version'], 'anthropic-version passes through')
  t.notOk(JSON.stringify(seen.headers).includes(TOKEN))
})

t.test('a raw x-api-key caller is accepted, its query string kept and a missing anthropic-version filled in', async t => {
  const gw = await startGateway(t)
  const res = await rawRequest(`${gw.url}/anthropic/v1/messages?beta=true`, 'POST',
    { 'x-api-key': TOKEN, 'content-type': 'application/json', connection: 'keep-alive, x-secret-hop', 'x-secret-hop': 'must-not-pass' },
    JSON.stringify({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }))
  t.equal(res.status, 200)
  const [seen] = gw.fake.requests
  t.equal(seen.url, '/v1/messages?beta=true')
  t.equal(seen.headers['anthropic-version'], '2023-06-01')
  t.equal(seen.headers['x-secret-hop'], undefined, 'headers named in Connection are hop-by-hop')
})

t.test('without a valid token the caller gets 401 authentication_error in its provider\'s shape, and nothing is relayed', async t => {
  const gw = await startGateway(t)
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: 'wrong', maxRetries: 0 })
  const err = await openai.models.list().catch(e => e)
  t.ok(err instanceof OpenAI.AuthenticationError)
  t.equal(err.status, 401)
  t.equal(err.error.type, 'authentication_error')
  t.equal(err.error.code, 'GH_AUTH')
  t.ok(err.headers.get('x-gatehouse-request-id'))

  const anthropic = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: 'wrong', maxRetries: 0 })
  const aerr = await anthropic.messages.create({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch(e => e)
  t.ok(aerr instanceof Anthropic.AuthenticationError)
  t.same(aerr.error.error.type, 'authentication_error')
  t.equal(aerr.error.type, 'error')

  const none = await fetch(`${gw.url}/openai/v1/models`)
  t.equal(none.status, 401)
  t.match(await none.json(), { error: { type: 'authentication_error', message: /Authorization: Bearer/ } })
  t.equal(gw.fake.requests.length, 0)
  t.equal(gw.audit.length, 0, 'an unauthenticated request has no identity to audit')
})

t.test('an unknown first path segment is a 404 naming the problem', async t => {
  const gw = await startGateway(t)
  const res = await fetch(`${gw.url}/nope/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{}' })
  t.equal(res.status, 404)
  t.match(await res.json(), { error: { code: 'GH_UNKNOWN_TARGET', message: /no LLM target named "nope"/ } })
  t.equal(gw.audit.length, 1)
  t.equal(gw.audit[0].decision.action, 'deny')
  t.match(gw.audit[0].decision.message, /GH_UNKNOWN_TARGET/)
})

t.test('the OpenAI SDK works with a bare /openai base URL too (the upstream adds its /v1)', async t => {
  const gw = await startGateway(t)
  const client = new OpenAI({ baseURL: `${gw.url}/openai`, apiKey: TOKEN, maxRetries: 0 })
  const list = await client.models.list()
  t.same(list.data.map(m => m.id), ['gpt-4o-mini', 'text-embedding-3-small'])
  t.equal(gw.fake.requests[0].url, '/v1/models')
  t.equal(gw.events[0].llm?.route, '/models')
})
