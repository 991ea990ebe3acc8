import t from 'tap'
import OpenAI from 'openai'
import Anthropic from '@anthropic-ai/sdk'
import type { MaskSpec } from '../../../src/core/events/index.js'
import { TOKEN, allow, llmTarget, startGateway } from './harness.js'

/** As dev mode configures them: the key variables named but unset. */
const demoTargets = () => [
  llmTarget('openai', 'openai', 'https://api.openai.com/v1', { demo: true, apiKeyEnv: 'GH_TEST_UNSET_OPENAI_KEY' }),
  llmTarget('anthropic', 'anthropic', 'https://api.anthropic.com', { demo: true, apiKeyEnv: 'GH_TEST_UNSET_ANTHROPIC_KEY' })
]

t.test('a demo target answers deterministically in both providers\' shapes, labelled, with no key and no network', async t => {
  const gw = await startGateway(t, { targets: demoTargets })
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }] }).withResponse()
  t.equal(response.headers.get('x-gatehouse-model'), 'demo')
  t.match(data.choices[0].message.content, /demo model .*You said: "ping"/)
  const again = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }] })
  t.equal(again.choices[0].message.content, data.choices[0].message.content, 'deterministic')

  let streamed = ''
  for await (const c of await openai.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'ping' }] })) streamed += c.choices[0]?.delta?.content ?? ''
  t.equal(streamed, data.choices[0].message.content)
  t.ok(gw.audit.at(-1)?.usage?.outputTokens, 'demo streams report usage too')

  const r = await openai.responses.create({ model: 'm', input: 'ping' })
  t.equal(r.output_text, data.choices[0].message.content)
  const rs = openai.responses.stream({ model: 'm', input: 'ping' })
  t.equal((await rs.finalResponse()).output_text, data.choices[0].message.content)
  const emb = await openai.embeddings.create({ model: 'e', input: 'ping' })
  t.equal(emb.data[0].embedding.length, 16)
  t.same((await openai.models.list()).data.map(m => m.id), ['demo'])

  const anthropic = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: TOKEN, maxRetries: 0 })
  const msg = await anthropic.messages.create({ model: 'claude', max_tokens: 20, messages: [{ role: 'user', content: 'ping' }] })
  t.match(msg.content, [{ type: 'text', text: /You said: "ping"/ }])
  const final = await anthropic.messages.stream({ model: 'claude', max_tokens: 20, messages: [{ role: 'user', content: 'ping' }] }).finalMessage()
  t.same(final.content[0], msg.content[0])
  const count = await anthropic.messages.countTokens({ model: 'claude', messages: [{ role: 'user', content: 'ping' }] })
  t.ok(count.input_tokens > 0)
  t.same((await gw.plugin.readiness!()).map(c => c.ok), [true, true], 'demo targets are always ready')
})

t.test('the demo model echoes the prompt as the upstream would get it: after request masking', async t => {
  const gw = await startGateway(t, { targets: demoTargets })
  const spec: MaskSpec = { rule: 'mask-pii', entities: ['EMAIL'], columns: [], applyTo: ['request'], style: 'label' }
  gw.decide = () => allow({ masks: [spec] })
  const openai = new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
  const r = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'mail eve@example.com' }] })
  t.match(r.choices[0].message.content, /You said: "mail \[EMAIL\]"/)
})
