import t from 'tap'
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai'
import { ChatAnthropic } from '@langchain/anthropic'
import { HumanMessage, SystemMessage } from '@langchain/core/messages'
import { tool } from '@langchain/core/tools'
import { z } from 'zod'
import type { MaskSpec } from '../../../src/core/events/index.js'
import { ANTHROPIC_KEY, OPENAI_KEY, TOKEN, allow, startGateway, type Gateway } from './harness.js'

const EMAIL = 'bob.jones@example.org'
const mask: MaskSpec = { rule: 'mask-pii', entities: ['EMAIL'], columns: [], applyTo: ['request', 'response'], style: 'label' }
const chatOpenAI = (gw: Gateway, extra: Record<string, unknown> = {}) =>
  new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: TOKEN, configuration: { baseURL: `${gw.url}/openai/v1` }, maxRetries: 0, ...extra })
const chatAnthropic = (gw: Gateway) =>
  new ChatAnthropic({ model: 'claude-sonnet-4-5', apiKey: TOKEN, anthropicApiUrl: `${gw.url}/anthropic`, maxRetries: 0 })
const lookup = tool(async ({ email }) => `found ${email}`, { name: 'lookup_customer', description: 'Find a customer', schema: z.object({ email: z.string() }) })

t.test('ChatOpenAI: invoke and stream through gatehouse, PII masked both ways, keys swapped', async t => {
  const gw = await startGateway(t)
  gw.decide = () => allow({ masks: [mask] })
  gw.fake.behave({ text: `Reply sent to ${EMAIL}.`, deltas: 9 })
  const llm = chatOpenAI(gw)
  const res = await llm.invoke([new SystemMessage('Be helpful.'), new HumanMessage(`Email ${EMAIL} please`)])
  t.equal(res.content, 'Reply sent to [EMAIL].')
  t.equal(res.usage_metadata?.input_tokens, 11)
  t.match(JSON.parse(gw.fake.requests[0].body).messages, [{ role: 'system', content: 'Be helpful.' }, { role: 'user', content: 'Email [EMAIL] please' }])
  t.equal(gw.fake.requests[0].headers.authorization, `Bearer ${OPENAI_KEY}`)

  let streamed = ''
  for await (const chunk of await llm.stream('hi')) streamed += String(chunk.content)
  t.equal(streamed, 'Reply sent to [EMAIL].')
  t.equal(gw.audit.length, 2)
  t.same(gw.audit[1].usage, { inputTokens: 11, outputTokens: 7 })
})

t.test('ChatOpenAI with tools gets a tool call back with masked arguments', async t => {
  const gw = await startGateway(t)
  gw.decide = () => allow({ masks: [mask] })
  gw.fake.behave({ toolCall: { name: 'lookup_customer', arguments: JSON.stringify({ email: EMAIL }) }, deltas: 7 })
  const llm = chatOpenAI(gw).bindTools([lookup])
  const res = await llm.invoke('find bob')
  t.same(res.tool_calls?.map(c => [c.name, c.args]), [['lookup_customer', { email: '[EMAIL]' }]])
  t.equal(JSON.parse(gw.fake.requests[0].body).tools[0].function.name, 'lookup_customer')

  let args = ''
  for await (const chunk of await llm.stream('find bob')) for (const c of chunk.tool_call_chunks ?? []) args += c.args ?? ''
  t.same(JSON.parse(args), { email: '[EMAIL]' })
})

t.test('ChatOpenAI on the Responses API and OpenAIEmbeddings', async t => {
  const gw = await startGateway(t)
  const llm = chatOpenAI(gw, { useResponsesApi: true })
  const res = await llm.invoke('hello')
  t.match(res.content, [{ type: 'text', text: 'Hello from the fake upstream.' }])
  t.equal(gw.fake.requests[0].url, '/v1/responses')
  let streamed = ''
  for await (const chunk of await llm.stream('hello')) {
    for (const part of Array.isArray(chunk.content) ? chunk.content : [chunk.content]) streamed += typeof part === 'string' ? part : (part as { text?: string }).text ?? ''
  }
  t.equal(streamed, 'Hello from the fake upstream.')

  const embeddings = new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: TOKEN, configuration: { baseURL: `${gw.url}/openai/v1` }, maxRetries: 0 })
  const vectors = await embeddings.embedDocuments(['alpha', 'beta'])
  t.equal(vectors.length, 2)
  t.equal(vectors[0].length, 8)
  t.equal(gw.events.at(-1)?.llm?.route, '/v1/embeddings')
  t.same(gw.events.at(-1)?.llm?.text, ['alpha', 'beta'])
})

t.test('ChatAnthropic: invoke, stream and tools through gatehouse', async t => {
  const gw = await startGateway(t)
  gw.decide = () => allow({ masks: [mask] })
  gw.fake.behave({ text: `Ask ${EMAIL}.`, deltas: 6 })
  const llm = chatAnthropic(gw)
  const res = await llm.invoke([new SystemMessage('Short answers.'), new HumanMessage(`Who is ${EMAIL}?`)])
  t.equal(res.content, 'Ask [EMAIL].')
  const sent = JSON.parse(gw.fake.requests[0].body)
  t.equal(sent.system, 'Short answers.')
  t.match(JSON.stringify(sent.messages), /Who is \[EMAIL\]\?/)
  t.equal(gw.fake.requests[0].headers['x-api-key'], ANTHROPIC_KEY)

  let streamed = ''
  for await (const chunk of await llm.stream('hi')) streamed += typeof chunk.content === 'string' ? chunk.content : chunk.content.map(p => (p as { text?: string }).text ?? '').join('')
  t.equal(streamed, 'Ask [EMAIL].')

  gw.fake.behave({ toolCall: { name: 'lookup_customer', arguments: JSON.stringify({ email: EMAIL }) }, deltas: 5 })
  const called = await llm.bindTools([lookup]).invoke('find bob')
  t.same(called.tool_calls?.map(c => [c.name, c.args]), [['lookup_customer', { email: '[EMAIL]' }]])
})

t.test('a LangChain call denied by policy raises the provider error the app already handles', async t => {
  const gw = await startGateway(t)
  gw.decide = () => ({ ...allow(), action: 'deny', rules: ['deny-premium-models-for-contractors'], message: 'Contractors may use the small models only.' })
  const err = await chatOpenAI(gw).invoke('hi').catch(e => e)
  t.equal(err.status, 403)
  t.match(err.message, /Contractors may use the small models only/)
  const aerr = await chatAnthropic(gw).invoke('hi').catch(e => e)
  t.equal(aerr.status, 403)
  t.equal(gw.fake.requests.length, 0)
})
