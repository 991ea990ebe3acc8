import t from 'tap'
import { createServer } from 'node:net'
import OpenAI from 'openai'
import Anthropic from '@anthropic-ai/sdk'
import { ANTHROPIC_KEY, OPENAI_KEY, TOKEN, everythingReceived, llmTarget, rawRequest, startGateway } from './harness.js'

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })

/** A port nothing listens on. */
async function closedPort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise(resolve => s.close(resolve))
  return port
}

t.test('upstream 500 and 429 come back with their status, headers and provider body', async t => {
  const gw = await startGateway(t)
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  gw.fake.behave({ failStatus: 500 })
  const e500 = await openai.chat.completions.create({ model: 'm', messages: [] }).catch(e => e)
  t.ok(e500 instanceof OpenAI.InternalServerError)
  t.same(e500.error, { message: 'The fake upstream was told to fail with 500.', type: 'server_error', param: null, code: null })

  gw.fake.behave({ failStatus: 429 })
  const anthropic = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: TOKEN, maxRetries: 0 })
  const e429 = await anthropic.messages.create({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch(e => e)
  t.ok(e429 instanceof Anthropic.RateLimitError)
  t.equal(e429.headers.get('retry-after'), '1')
  t.match(e429.error, { type: 'error', error: { type: 'rate_limit_error' } })
  t.match(gw.audit.map(a => a.summary?.status), [500, 429])
})

t.test('an upstream that echoes the key in its error body never shows it to the caller', async t => {
  const gw = await startGateway(t)
  gw.fake.behave({ failStatus: 401, echoKeyInError: true })
  for (const [path, key, body] of [
    ['/openai/v1/chat/completions', OPENAI_KEY, chatBody],
    ['/anthropic/v1/messages', ANTHROPIC_KEY, JSON.stringify({ model: 'c', max_tokens: 1, messages: [] })]
  ]) {
    const res = await fetch(gw.url + path, { method: 'POST', headers: auth, body })
    const text = await res.text()
    t.equal(res.status, 401)
    t.match(text, /Incorrect API key provided: \[redacted\]/)
    t.notOk(everythingReceived(res, text).includes(key), `${path}: the key is not in anything received`)
    t.notOk(everythingReceived(res, text).includes(key.slice(0, 12) + key.slice(12)), 'not even in parts')
  }
  t.ok(gw.fake.requests.every(r => JSON.stringify(r.headers).includes('upstream')), 'the fake did get the real keys')
})

t.test('an unreachable upstream is 502; a silent one is 504; both in the provider shape', async t => {
  const port = await closedPort()
  const gw = await startGateway(t, {
    targets: url => [
      llmTarget('down', 'openai', `http://127.0.0.1:${port}/v1`),
      llmTarget('slow', 'anthropic', url, { timeouts: { connectMs: 1000, headersMs: 150, bodyMs: 150 } })
    ]
  })
  const down = await fetch(`${gw.url}/down/v1/chat/completions`, { method: 'POST', headers: auth, body: chatBody })
  t.equal(down.status, 502)
  t.match(await down.json(), { error: { type: 'upstream_error', code: 'GH_UPSTREAM', message: /cannot reach the upstream of target down: ECONNREFUSED/ } })

  gw.fake.behave({ hang: true })
  const slow = await fetch(`${gw.url}/slow/v1/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ model: 'c', max_tokens: 1, messages: [] }) })
  t.equal(slow.status, 504)
  t.match(await slow.json(), { type: 'error', error: { type: 'timeout_error', code: 'GH_UPSTREAM_TIMEOUT' } })
  t.ok(slow.headers.get('x-gatehouse-request-id'))
})

t.test('a stream the upstream stops feeding is ended with a provider error event the SDK raises', async t => {
  const gw = await startGateway(t, { targets: url => [llmTarget('openai', 'openai', `${url}/v1`, { timeouts: { connectMs: 1000, headersMs: 1000, bodyMs: 150 } })] })
  // undici checks timeouts on a coarse tick, so the stall must clearly outlast it.
  gw.fake.behave({ deltas: 5, chunkDelayMs: 3000 })
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const stream = await openai.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  const err = await (async () => { for await (const _ of stream) { /* drain */ } })().catch(e => e)
  t.ok(err instanceof OpenAI.APIError)
  t.match(err.error, { type: 'upstream_error', code: 'GH_UPSTREAM_TIMEOUT' })
})

t.test('an upstream dying mid-stream ends the Anthropic stream with an error event', async t => {
  const gw = await startGateway(t)
  gw.fake.behave({ deltas: 6, dieAfterChunks: 4 })
  const anthropic = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: TOKEN, maxRetries: 0 })
  const stream = anthropic.messages.stream({ model: 'c', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })
  const err = await stream.finalMessage().catch(e => e)
  t.ok(err instanceof Anthropic.APIError)
  t.match(err.error, { type: 'error', error: { type: 'api_error', code: 'GH_UPSTREAM', message: /closed the connection/ } })
})

t.test('malformed input is a 400 that says what was wrong, before anything is relayed', async t => {
  const gw = await startGateway(t)
  const bad = await fetch(`${gw.url}/openai/v1/chat/completions`, { method: 'POST', headers: auth, body: '{"model": "m", "messages": [' })
  t.equal(bad.status, 400)
  t.match(await bad.json(), { error: { type: 'invalid_request_error', code: 'GH_PROTOCOL', message: /request body is not valid JSON: .+/ } })
  const notObject = await fetch(`${gw.url}/anthropic/v1/messages`, { method: 'POST', headers: auth, body: '[1,2]' })
  t.equal(notObject.status, 400)
  t.match(await notObject.json(), { type: 'error', error: { type: 'invalid_request_error', message: 'request body must be a JSON object' } })
  t.equal(gw.fake.requests.length, 0)
})

t.test('a body over the target limit is a 413 and the connection is closed', async t => {
  const gw = await startGateway(t, { targets: url => [llmTarget('openai', 'openai', `${url}/v1`, { maxBodyBytes: 1000 })] })
  const big = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(2000) }] })
  const res = await fetch(`${gw.url}/openai/v1/chat/completions`, { method: 'POST', headers: auth, body: big })
  t.equal(res.status, 413)
  t.equal(res.headers.get('connection'), 'close')
  t.match(await res.json(), { error: { code: 'GH_TOO_LARGE', message: /limit of 1000 bytes/ } })
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const small = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'ok' }] })
  t.equal(small.choices[0].message.content, 'Hello from the fake upstream.', 'a body under the limit still passes')
  t.equal(gw.fake.requests.length, 1)

  const chunked = await rawRequest(`${gw.url}/openai/v1/chat/completions`, 'POST', { ...auth, 'transfer-encoding': 'chunked' }, big)
  t.equal(chunked.status, 413, 'a chunked body without a length is cut at the limit too')
  t.equal(gw.fake.requests.length, 1)
})

t.test('a gzipped upstream body is decoded for JSON and for streams', async t => {
  const gw = await startGateway(t)
  gw.fake.behave({ gzip: true })
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const r = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(r.choices[0].message.content, 'Hello from the fake upstream.')
  let text = ''
  for await (const c of await openai.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })) text += c.choices[0]?.delta?.content ?? ''
  t.equal(text, 'Hello from the fake upstream.')
  t.same(gw.audit.map(a => a.usage), [{ inputTokens: 11, outputTokens: 7 }, { inputTokens: 11, outputTokens: 7 }], 'usage read through the decoding')
})

t.test('a target whose key env var is unset answers 502 naming the variable, not a value', async t => {
  const gw = await startGateway(t, { targets: url => [llmTarget('openai', 'openai', `${url}/v1`, { apiKeyEnv: 'GH_TEST_UNSET_KEY' })] })
  const res = await fetch(`${gw.url}/openai/v1/models`, { headers: auth })
  t.equal(res.status, 502)
  t.match(await res.json(), { error: { code: 'GH_UPSTREAM', message: /GH_TEST_UNSET_KEY is not set/ } })
  t.equal(gw.fake.requests.length, 0)
})
