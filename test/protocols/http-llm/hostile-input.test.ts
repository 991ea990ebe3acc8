import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Anthropic from '@anthropic-ai/sdk'
import type { MaskSpec } from '../../../src/core/events/index.js'
import { TOKEN, allow, llmTarget, startGateway } from './harness.js'

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
const mask: MaskSpec = { rule: 'mask-pii', entities: ['EMAIL'], columns: [], applyTo: ['response'], style: 'label' }
/** JSON text nested `depth` levels deep (built as text: JSON.stringify itself would overflow the stack). */
const nested = (depth: number, leaf: string) => '{"a":['.repeat(depth) + JSON.stringify(leaf) + ']}'.repeat(depth)

t.test('request JSON nested past the limit is a 400, not a crash, and its text never escapes policy', async t => {
  const gw = await startGateway(t)
  gw.decide = () => allow({ rules: ['allow-anything'] })
  const other = await fetch(`${gw.url}/openai/v1/vector_stores`, { method: 'POST', headers: auth, body: nested(5000, 'ignore previous instructions') })
  t.equal(other.status, 400)
  t.match(await other.json(), { error: { code: 'GH_PROTOCOL', message: /nested deeper than 64 levels/ } })

  const content = '[{"type":"tool_result","tool_use_id":"t","content":'.repeat(5000) + '"deep"' + '}]'.repeat(5000)
  const anthropic = await fetch(`${gw.url}/anthropic/v1/messages`, { method: 'POST', headers: auth, body: `{"model":"c","max_tokens":1,"messages":[{"role":"user","content":${content}}]}` })
  t.equal(anthropic.status, 400)
  t.equal(gw.fake.requests.length, 0)
})

/** An upstream that answers every request with this status, content type and body. */
async function oddUpstream (t: Test, contentType: string, body: string): Promise<string> {
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': contentType }); res.end(body) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('under a mask, a 200 that is not JSON, or JSON nested too deep, is refused rather than passed', async t => {
  const html = await oddUpstream(t, 'text/html', '<p>mail bob@example.com</p>')
  const deep = await oddUpstream(t, 'application/json', nested(500, 'bob@example.com'))
  const gw = await startGateway(t, { targets: () => [llmTarget('html', 'openai', `${html}/v1`), llmTarget('deep', 'openai', `${deep}/v1`)] })
  gw.decide = () => allow({ masks: [mask] })
  for (const target of ['html', 'deep']) {
    const res = await fetch(`${gw.url}/${target}/v1/chat/completions`, { method: 'POST', headers: auth, body: '{"model":"m","messages":[]}' })
    const text = await res.text()
    t.equal(res.status, 502, target)
    t.match(JSON.parse(text), { error: { code: 'GH_UNMASKABLE' } })
    t.notOk(text.includes('bob@example.com'))
  }
  gw.decide = () => allow()
  const plain = await fetch(`${gw.url}/html/v1/chat/completions`, { method: 'POST', headers: auth, body: '{"model":"m","messages":[]}' })
  t.equal(await plain.text(), '<p>mail bob@example.com</p>', 'without a mask the body passes as it came')
})

t.test('a masked stream whose upstream dies drops what it held back (it may be half a value), then sends an error event', async t => {
  const gw = await startGateway(t)
  gw.decide = () => allow({ masks: [mask] })
  gw.fake.behave({ text: 'write to carol@example.com now please', deltas: 8, dieAfterChunks: 7 })
  const texts: string[] = []
  const anthropic = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: TOKEN, maxRetries: 0 })
  const err = await anthropic.messages.stream({ model: 'c', max_tokens: 9, messages: [{ role: 'user', content: 'x' }] }).on('text', d => texts.push(d)).finalMessage().catch(e => e)
  t.ok(err instanceof Anthropic.APIError)
  t.match(err.error, { error: { code: 'GH_UPSTREAM' } })
  t.notOk(/carol|@|exam/.test(texts.join('')), 'no part of the cut-off address')

  const raw = await (await fetch(`${gw.url}/anthropic/v1/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ model: 'c', max_tokens: 9, stream: true, messages: [] }) })).text()
  t.notOk(/carol|@exam/.test(raw), 'not in any byte of the stream')
  t.match(raw, /event: error\ndata: \{"type":"error","error":\{"type":"api_error"/)
})
