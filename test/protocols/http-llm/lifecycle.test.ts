import t from 'tap'
import { connect, createServer } from 'node:net'
import OpenAI from 'openai'
import { TOKEN, llmTarget, rawRequest, startGateway } from './harness.js'

t.test('readiness reports each target: reachable upstream ok, closed port not ok with the reason', async t => {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise(resolve => s.close(resolve))
  const gw = await startGateway(t, { targets: url => [llmTarget('up', 'openai', `${url}/v1`), llmTarget('down', 'anthropic', `http://127.0.0.1:${port}`)] })
  const checks = await gw.plugin.readiness!()
  t.match(checks, [{ name: 'http-llm:up', ok: true }, { name: 'http-llm:down', ok: false, detail: /ECONNREFUSED/ }])
})

t.test('close(grace) lets a stream in flight finish, refuses new requests, then closes', async t => {
  const gw = await startGateway(t)
  gw.fake.behave({ deltas: 5, chunkDelayMs: 60 })
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const stream = await openai.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  const closed = gw.plugin.close(10_000)
  let text = ''
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? ''
  t.equal(text, 'Hello from the fake upstream.', 'the stream in flight completed')
  await closed
  const after = await fetch(`${gw.url}/openai/v1/models`, { headers: { authorization: `Bearer ${TOKEN}` } }).catch(e => e)
  t.ok(after instanceof Error, 'a connection after close is refused')
})

t.test('close(0) cuts a stream that is still running', async t => {
  const gw = await startGateway(t)
  gw.fake.behave({ deltas: 50, chunkDelayMs: 100 })
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const stream = await openai.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  const aborted = gw.fake.nextAbort()
  await gw.plugin.close(0)
  const err = await (async () => { for await (const _ of stream) { /* drain */ } })().then(() => undefined, e => e)
  t.ok(err, 'the client sees the cut')
  t.ok((await aborted).abortedByClient, 'and the upstream request was abandoned')
})

t.test('a request line node:http cannot parse gets a 400', async t => {
  const gw = await startGateway(t)
  const res = await new Promise<string>((resolve, reject) => {
    const c = connect(Number(new URL(gw.url).port), '127.0.0.1')
    let got = ''
    c.on('data', (d: Buffer) => { got += d })
    c.on('end', () => resolve(got))
    c.on('error', reject)
    c.write('GET /openai/v1/models HTTP/1.1\r\nbad header line\r\n\r\n')
  })
  t.match(res, /^HTTP\/1\.1 400 Bad Request/)
})

t.test('responses to keep-alive clients carry the request id and overhead on every response', async t => {
  const gw = await startGateway(t)
  const a = await rawRequest(`${gw.url}/openai/v1/models`, 'GET', { authorization: `Bearer ${TOKEN}` })
  const b = await rawRequest(`${gw.url}/openai/v1/models`, 'GET', { authorization: 'Bearer nope' })
  for (const r of [a, b]) {
    t.match(r.headers['x-gatehouse-request-id'], /^[0-9a-f]{12}-[0-9a-f]{4}-/)
    t.match(r.headers['x-gatehouse-overhead-ms'], /^\d+\.\d\d$/)
  }
  t.not(a.headers['x-gatehouse-request-id'], b.headers['x-gatehouse-request-id'])
})
