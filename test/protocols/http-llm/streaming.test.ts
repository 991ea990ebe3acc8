import t from 'tap'
import { request } from 'node:http'
import OpenAI from 'openai'
import Anthropic from '@anthropic-ai/sdk'
import { TOKEN, allow, startGateway } from './harness.js'

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }

t.test('an OpenAI stream gets usage counted without the client asking, and the extra usage chunk is not shown', async t => {
  const gw = await startGateway(t)
  gw.fake.behave({ inputTokens: 31, outputTokens: 5 })
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const chunks = []
  for await (const c of await openai.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })) chunks.push(c)
  t.equal(chunks.map(c => c.choices[0]?.delta?.content ?? '').join(''), 'Hello from the fake upstream.')
  t.ok(chunks.every(c => c.choices.length === 1), 'no usage-only chunk reached the client')
  t.same(JSON.parse(gw.fake.requests[0].body).stream_options, { include_usage: true }, 'gatehouse asked the upstream for usage')
  t.same(gw.audit[0].usage, { inputTokens: 31, outputTokens: 5 })
})

t.test('a client that asked for stream usage gets it, byte for byte as the upstream sent it', async t => {
  const gw = await startGateway(t)
  const body = JSON.stringify({ model: 'm', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] })
  const through = await (await fetch(`${gw.url}/openai/v1/chat/completions`, { method: 'POST', headers: auth, body })).text()
  const direct = await (await fetch(`${gw.fake.url}/v1/chat/completions`, { method: 'POST', headers: auth, body })).text()
  const normalize = (s: string) => s.replace(/chatcmpl-\w+/g, 'ID')
  t.equal(normalize(through), normalize(direct), 'the same bytes, in the same events')
  t.match(through, /"choices":\[\],"usage":\{"prompt_tokens":11/)
  t.same(gw.audit[0].usage, { inputTokens: 11, outputTokens: 7 })
})

t.test('Anthropic and Responses API streams arrive whole through the SDKs, with usage audited', async t => {
  const gw = await startGateway(t)
  const anthropic = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: TOKEN, maxRetries: 0 })
  const texts: string[] = []
  const stream = anthropic.messages.stream({ model: 'c', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).on('text', d => texts.push(d))
  const final = await stream.finalMessage()
  t.equal(texts.join(''), 'Hello from the fake upstream.')
  t.equal(final.usage.output_tokens, 7)

  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const rs = openai.responses.stream({ model: 'gpt-4o-mini', input: 'hi' })
  const deltas: string[] = []
  rs.on('response.output_text.delta', e => deltas.push(e.delta))
  const resp = await rs.finalResponse()
  t.equal(deltas.join(''), 'Hello from the fake upstream.')
  t.equal(resp.output_text, 'Hello from the fake upstream.')
  t.same(gw.audit.map(a => a.usage), [{ inputTokens: 11, outputTokens: 7 }, { inputTokens: 11, outputTokens: 7 }])
})

t.test('a client going away mid-stream aborts the upstream request', async t => {
  const gw = await startGateway(t)
  gw.fake.behave({ deltas: 50, chunkDelayMs: 50 })
  const aborted = gw.fake.nextAbort()
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const stream = await openai.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  let got = 0
  for await (const _ of stream) { if (++got === 3) break }
  const record = await aborted
  t.ok(record.abortedByClient, 'the fake saw its response cut before the end')
  await new Promise(resolve => setImmediate(resolve))
  await t.resolveMatch(waitFor(() => gw.audit.length === 1), true)
  t.equal(gw.audit[0].summary?.error, 'GH_CLIENT_CLOSED')
})

t.test('an unmasked stream is relayed chunk by chunk as it arrives, not buffered', async t => {
  const gw = await startGateway(t)
  gw.fake.behave({ deltas: 3, chunkDelayMs: 200 })
  const arrivals: number[] = []
  const started = Date.now()
  await new Promise<void>((resolve, reject) => {
    const req = request(`${gw.url}/anthropic/v1/messages`, { method: 'POST', headers: auth }, res => {
      res.on('data', () => arrivals.push(Date.now() - started))
      res.on('end', resolve)
    })
    req.on('error', reject)
    req.end(JSON.stringify({ model: 'c', max_tokens: 9, stream: true, messages: [{ role: 'user', content: 'hi' }] }))
  })
  t.ok(arrivals.length >= 5, `the body came in ${arrivals.length} pieces`)
  t.ok(arrivals[0] < arrivals[arrivals.length - 1] - 600, 'the first piece arrived well before the last')
})

async function waitFor (cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise(resolve => setTimeout(resolve, 10))
  return cond()
}

t.test('a client giving up while the upstream is still thinking aborts the upstream request', async t => {
  const gw = await startGateway(t)
  gw.fake.behave({ hang: true })
  const aborted = gw.fake.nextAbort()
  const controller = new AbortController()
  const pending = fetch(`${gw.url}/openai/v1/chat/completions`, { method: 'POST', headers: auth, body: JSON.stringify({ model: 'm', messages: [] }), signal: controller.signal }).catch(e => e)
  await waitFor(() => gw.fake.requests.length === 1)
  controller.abort()
  t.ok((await pending) instanceof Error)
  t.ok((await aborted).abortedByClient, 'the upstream saw gatehouse hang up')
  t.ok(await waitFor(() => gw.audit.length === 1))
  t.equal(gw.audit[0].summary?.error, 'GH_CLIENT_CLOSED')
})

t.test('many masked streams at once each get their own text, masked, and their own audit line', async t => {
  const gw = await startGateway(t)
  gw.decide = () => allow({ masks: [{ rule: 'mask-pii', entities: ['EMAIL'], columns: [], applyTo: ['response'], style: 'label' }] })
  gw.fake.behave({ text: 'Mail user@example.com about it.', deltas: 12, chunkDelayMs: 5 })
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const texts = await Promise.all(Array.from({ length: 20 }, async () => {
    let text = ''
    for await (const c of await openai.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] })) text += c.choices[0]?.delta?.content ?? ''
    return text
  }))
  t.same(new Set(texts), new Set(['Mail [EMAIL] about it.']))
  t.equal(gw.audit.length, 20)
  t.ok(gw.audit.every(a => a.masked?.EMAIL === 1), 'each request counts its own masked value')
  t.equal(new Set(gw.audit.map(a => a.requestId)).size, 20)
})
