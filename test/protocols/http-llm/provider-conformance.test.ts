import t from 'tap'
import type { MaskSpec } from '../../../src/core/events/index.js'
import type { RecordedRequest } from '../../fixtures/fake-llm/index.js'
import { ANTHROPIC_KEY, OPENAI_KEY, TOKEN, allow, startGateway } from './harness.js'

/** What differs between providers in this suite; everything else is the same contract. */
interface ProviderCase {
  target: string
  path: string
  key: string
  request (prompt: string, stream: boolean): Record<string, unknown>
  /** The assistant text of a JSON answer. */
  answer (json: any): string
  /** The assistant text assembled from an SSE body. */
  streamed (sse: string): string
  /** The upstream credential the fake received. */
  sentKey (r: RecordedRequest): string | undefined
  /** type and code of an error body. */
  error (json: any): { type: string; code: unknown }
}

const dataLines = (sse: string) => sse.split('\n').filter(l => l.startsWith('data: {')).map(l => JSON.parse(l.slice(6)))

const providers: Record<string, ProviderCase> = {
  openai: {
    target: 'openai', path: '/openai/v1/chat/completions', key: OPENAI_KEY,
    request: (prompt, stream) => ({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: prompt }] }),
    answer: json => json.choices[0].message.content,
    streamed: sse => dataLines(sse).map(d => d.choices?.[0]?.delta?.content ?? '').join(''),
    sentKey: r => r.headers.authorization?.replace('Bearer ', ''),
    error: json => ({ type: json.error.type, code: json.error.code })
  },
  anthropic: {
    target: 'anthropic', path: '/anthropic/v1/messages', key: ANTHROPIC_KEY,
    request: (prompt, stream) => ({ model: 'claude-haiku-4-5', max_tokens: 100, stream, messages: [{ role: 'user', content: prompt }] }),
    answer: json => json.content[0].text,
    streamed: sse => dataLines(sse).filter(d => d.type === 'content_block_delta').map(d => d.delta.text).join(''),
    sentKey: r => r.headers['x-api-key'] as string | undefined,
    error: json => ({ type: json.error.type, code: json.error.code })
  }
}

const EMAIL = 'grace.hopper@example.com'
const maskPii: MaskSpec = { rule: 'mask-pii', entities: ['EMAIL'], columns: [], applyTo: ['request', 'response'], style: 'label' }

for (const [name, p] of Object.entries(providers)) {
  t.test(`${name}: the provider contract`, async t => {
    const gw = await startGateway(t)
    const post = (body: unknown, token = TOKEN) => fetch(gw.url + p.path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })

    t.test('relays with the target key, never the caller token, and audits usage', async t => {
      const res = await post(p.request('hello', false))
      t.equal(p.answer(await res.json()), 'Hello from the fake upstream.')
      const seen = gw.fake.requests.at(-1)!
      t.equal(p.sentKey(seen), p.key)
      t.notOk(JSON.stringify(seen.headers).includes(TOKEN))
      t.same(gw.audit.at(-1)?.usage, { inputTokens: 11, outputTokens: 7 })
    })

    t.test('streams arrive whole, with usage audited', async t => {
      const res = await post(p.request('hello', true))
      t.equal(p.streamed(await res.text()), 'Hello from the fake upstream.')
      t.same(gw.audit.at(-1)?.usage, { inputTokens: 11, outputTokens: 7 })
    })

    t.test('PII is masked in the prompt that leaves and in an answer split across deltas', async t => {
      gw.decide = () => allow({ masks: [maskPii] })
      gw.fake.behave({ text: `Reach ${EMAIL} soon.`, deltas: 20 })
      const sse = await (await post(p.request(`who is ${EMAIL}?`, true))).text()
      t.equal(p.streamed(sse), 'Reach [EMAIL] soon.')
      t.notOk(sse.includes('grace') || sse.includes('hopper'))
      t.notOk(gw.fake.requests.at(-1)!.body.includes(EMAIL))
      gw.decide = () => allow()
      gw.fake.behave({})
    })

    t.test('a deny is a 403 policy_violation naming the rule, and nothing leaves', async t => {
      const before = gw.fake.requests.length
      gw.decide = () => ({ ...allow(), action: 'deny', rules: ['no-llm'], message: 'not today' })
      const res = await post(p.request('hello', false))
      t.equal(res.status, 403)
      t.equal(res.headers.get('x-should-retry'), 'false')
      t.same(p.error(await res.json()), { type: 'policy_violation', code: 'no-llm' })
      t.equal(gw.fake.requests.length, before)
      gw.decide = () => allow()
    })

    t.test('a bad token is a 401 authentication_error, malformed JSON a 400', async t => {
      const unauth = await post(p.request('x', false), 'nope')
      t.equal(unauth.status, 401)
      t.same(p.error(await unauth.json()), { type: 'authentication_error', code: 'GH_AUTH' })
      const bad = await post('{"model":')
      t.equal(bad.status, 400)
      t.same(p.error(await bad.json()), { type: 'invalid_request_error', code: 'GH_PROTOCOL' })
    })

    t.test('an upstream 500 comes back as the upstream sent it', async t => {
      gw.fake.behave({ failStatus: 500 })
      const res = await post(p.request('x', false))
      t.equal(res.status, 500)
      t.match(JSON.stringify(await res.json()), /told to fail with 500/)
      gw.fake.behave({})
    })

    t.test('a client leaving mid-stream aborts the upstream', async t => {
      gw.fake.behave({ deltas: 40, chunkDelayMs: 40 })
      const aborted = gw.fake.nextAbort()
      const controller = new AbortController()
      const res = await fetch(gw.url + p.path, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(p.request('x', true)), signal: controller.signal })
      const reader = res.body!.getReader()
      await reader.read()
      controller.abort()
      t.ok((await aborted).abortedByClient)
      gw.fake.behave({})
    })

    t.test('every response carries the request id and overhead headers', async t => {
      for (const res of [await post(p.request('x', false)), await post('{', 'nope')]) {
        t.ok(res.headers.get('x-gatehouse-request-id'))
        t.ok(res.headers.get('x-gatehouse-overhead-ms'))
        await res.arrayBuffer()
      }
    })
  })
}
