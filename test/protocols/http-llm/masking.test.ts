import t, { type Test } from 'tap'
import OpenAI from 'openai'
import Anthropic from '@anthropic-ai/sdk'
import type { MaskSpec } from '../../../src/core/events/index.js'
import { createMasker } from '../../../src/core/pii/index.js'
import { TOKEN, allow, startGateway, type Gateway } from './harness.js'

const EMAIL = 'alice.smith@example.com'
const CARD = '4111 1111 1111 1111'
const maskPii = (applyTo: MaskSpec['applyTo']): MaskSpec =>
  ({ rule: 'mask-pii', entities: ['EMAIL', 'PHONE', 'CREDIT_CARD', 'SECRET'], columns: [], applyTo, style: 'label' })
const whole = createMasker({ style: 'label', entities: ['EMAIL', 'PHONE', 'CREDIT_CARD', 'SECRET'] })

async function gateway (t: Test, applyTo: MaskSpec['applyTo']): Promise<Gateway> {
  const gw = await startGateway(t)
  const spec = maskPii(applyTo)
  gw.decide = () => allow({ masks: [spec] })
  return gw
}

const openaiOf = (gw: Gateway) => new OpenAI({ baseURL: `${gw.url}/openai/v1`, apiKey: TOKEN, maxRetries: 0 })
const anthropicOf = (gw: Gateway) => new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: TOKEN, maxRetries: 0 })

t.test('request masking: PII in prompts is replaced before the request leaves; the rest of the JSON is unchanged', async t => {
  const gw = await gateway(t, ['request'])
  await openaiOf(gw).chat.completions.create({
    model: 'gpt-4o-mini', temperature: 0.2,
    messages: [{ role: 'system', content: 'Support bot.' }, { role: 'user', content: [{ type: 'text', text: `Mail ${EMAIL} about card ${CARD}` }] }]
  })
  const sent = JSON.parse(gw.fake.requests[0].body)
  t.same(sent, {
    model: 'gpt-4o-mini', temperature: 0.2,
    messages: [{ role: 'system', content: 'Support bot.' }, { role: 'user', content: [{ type: 'text', text: 'Mail [EMAIL] about card [CREDIT_CARD]' }] }]
  })
  t.same(gw.events[0].llm?.text, ['Support bot.', `Mail ${EMAIL} about card ${CARD}`], 'policy decided on the prompt as written')
  t.same(gw.audit[0].masked, { EMAIL: 1, CREDIT_CARD: 1 })

  await anthropicOf(gw).messages.create({
    model: 'c', max_tokens: 10, system: `Escalations go to ${EMAIL}`,
    messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: `customer ${EMAIL}` }] }]
  })
  const sentA = JSON.parse(gw.fake.requests[1].body)
  t.equal(sentA.system, 'Escalations go to [EMAIL]')
  t.equal(sentA.messages[0].content[0].content, 'customer [EMAIL]')
  t.notOk(gw.fake.requests.some(r => r.body.includes(EMAIL)), 'the upstream never saw the address')
})

t.test('JSON responses are masked: message text, tool-call arguments, Anthropic tool_use input', async t => {
  const gw = await gateway(t, ['response'])
  gw.fake.behave({ text: `Write to ${EMAIL}.` })
  const r = await openaiOf(gw).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'who?' }] })
  t.equal(r.choices[0].message.content, 'Write to [EMAIL].')
  t.equal(r.id.startsWith('chatcmpl-'), true, 'ids are not masked')
  t.same(gw.audit[0].usage, { inputTokens: 11, outputTokens: 7 })
  t.same(gw.audit[0].masked, { EMAIL: 1 })

  gw.fake.behave({ toolCall: { name: 'send_mail', arguments: JSON.stringify({ to: EMAIL, card: CARD }) } })
  const call = await openaiOf(gw).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'mail' }] })
  const [toolCall] = call.choices[0].message.tool_calls ?? []
  t.same(JSON.parse(toolCall?.type === 'function' ? toolCall.function.arguments : '{}'), { to: '[EMAIL]', card: '[CREDIT_CARD]' })

  const msg = await anthropicOf(gw).messages.create({ model: 'c', max_tokens: 10, messages: [{ role: 'user', content: 'mail' }] })
  t.match(msg.content[0], { type: 'tool_use', name: 'send_mail', input: { to: '[EMAIL]', card: '[CREDIT_CARD]' } })
})

/** A text whose email is cut across many small deltas. */
const streamed = `Sure. Contact ${EMAIL} or call about card ${CARD} today, thanks!`

t.test('an email split across OpenAI SSE deltas arrives masked, and no delta carries part of it', async t => {
  const gw = await gateway(t, ['response'])
  gw.fake.behave({ text: streamed, deltas: 30 })
  const deltas: string[] = []
  for await (const c of await openaiOf(gw).chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] })) {
    if (c.choices[0]?.delta?.content) deltas.push(c.choices[0].delta.content)
  }
  t.equal(deltas.join(''), whole.mask(streamed).masked)
  t.equal(deltas.join(''), 'Sure. Contact [EMAIL] or call about card [CREDIT_CARD] today, thanks!')
  t.notOk(deltas.some(d => /alice|smith|example|4111|1111/.test(d)), 'no piece of the email or card in any delta')
  t.same(gw.audit[0].usage, { inputTokens: 11, outputTokens: 7 }, 'usage still counted')
})

t.test('Anthropic text deltas and input_json_delta tool arguments are masked across deltas', async t => {
  const gw = await gateway(t, ['response'])
  gw.fake.behave({ text: streamed, deltas: 25 })
  const texts: string[] = []
  const final = await anthropicOf(gw).messages.stream({ model: 'c', max_tokens: 99, messages: [{ role: 'user', content: 'x' }] }).on('text', d => texts.push(d)).finalMessage()
  t.equal(texts.join(''), whole.mask(streamed).masked)
  t.match(final.content, [{ type: 'text', text: whole.mask(streamed).masked }], 'the SDK assembles the masked text')
  t.notOk(texts.some(d => /alice|smith|example/.test(d)))

  const args = JSON.stringify({ to: EMAIL, note: 'urgent' })
  gw.fake.behave({ toolCall: { name: 'send_mail', arguments: args }, deltas: 20 })
  const partials: string[] = []
  const withTool = await anthropicOf(gw).messages.stream({ model: 'c', max_tokens: 99, messages: [{ role: 'user', content: 'x' }] })
    .on('inputJson', (partial) => partials.push(partial)).finalMessage()
  t.match(withTool.content[0], { type: 'tool_use', input: { to: '[EMAIL]', note: 'urgent' } })
  t.notOk(partials.some(p => /alice|example/.test(p)), 'no partial argument ever showed part of the address')
})

t.test('OpenAI tool-call argument deltas never emit a partial secret', async t => {
  const gw = await gateway(t, ['response'])
  gw.fake.behave({ toolCall: { name: 'send_mail', arguments: JSON.stringify({ to: EMAIL, card: CARD }) }, deltas: 18 })
  const pieces: string[] = []
  for await (const c of await openaiOf(gw).chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] })) {
    for (const tc of c.choices[0]?.delta?.tool_calls ?? []) if (tc.function?.arguments) pieces.push(tc.function.arguments)
  }
  t.same(JSON.parse(pieces.join('')), { to: '[EMAIL]', card: '[CREDIT_CARD]' })
  t.notOk(pieces.some(p => /alice|example|4111/.test(p)))
})

t.test('Responses API stream: deltas masked, done events masked whole, sequence numbers still increase', async t => {
  const gw = await gateway(t, ['response'])
  gw.fake.behave({ text: streamed, deltas: 20 })
  const res = await fetch(`${gw.url}/openai/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', input: 'x', stream: true }) })
  const body = await res.text()
  t.notOk(/alice|4111/.test(body), 'nothing unmasked in the whole stream')
  const events = body.split('\n\n').filter(Boolean).map(e => JSON.parse(e.split('\n').find(l => l.startsWith('data: '))!.slice(6)))
  const seqs = events.map(e => e.sequence_number)
  t.same(seqs, seqs.map((_, i) => i), 'sequence numbers count up from 0 without gaps')
  const deltas = events.filter(e => e.type === 'response.output_text.delta').map(e => e.delta).join('')
  t.equal(deltas, whole.mask(streamed).masked)
  t.equal(events.find(e => e.type === 'response.output_text.done').text, whole.mask(streamed).masked)
  t.equal(events.at(-1).response.output[0].content[0].text, whole.mask(streamed).masked)

  const rs = openaiOf(gw).responses.stream({ model: 'm', input: 'x' })
  t.equal((await rs.finalResponse()).output_text, whole.mask(streamed).masked, 'the SDK assembles the masked text')
})

t.test('a stream gatehouse cannot parse while a mask applies is cut with an error event, never passed unmasked', async t => {
  const gw = await gateway(t, ['response'])
  gw.fake.behave({ text: `first part, then ${EMAIL}`, deltas: 4, inject: { at: 3, bytes: 'data: {not json\n\n' } })
  const seen: string[] = []
  const err = await (async () => {
    for await (const c of await openaiOf(gw).chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] })) seen.push(c.choices[0]?.delta?.content ?? '')
  })().catch(e => e)
  t.ok(err instanceof OpenAI.APIError, 'the SDK raises the error event')
  t.match(err.error, { code: 'GH_UNMASKABLE', message: /not a JSON object/ })
  t.notOk(seen.join('').includes('alice'))
  t.equal(gw.audit[0].summary?.error, 'GH_UNMASKABLE')

  gw.fake.behave({ text: 'hello', deltas: 2, inject: { at: 2, bytes: 'event: content_block_delta\ndata: [1,2]\n\n' } })
  const aerr = await anthropicOf(gw).messages.stream({ model: 'c', max_tokens: 9, messages: [{ role: 'user', content: 'x' }] }).finalMessage().catch(e => e)
  t.ok(aerr instanceof Anthropic.APIError)
  t.match(aerr.error, { error: { type: 'api_error', code: 'GH_UNMASKABLE' } })
})

t.test('without a mask, a malformed upstream event is relayed as it came', async t => {
  const gw = await startGateway(t)
  gw.fake.behave({ text: 'hello', deltas: 2, inject: { at: 1, bytes: ': keep-alive comment\n\n' } })
  const body = await (await fetch(`${gw.url}/anthropic/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ model: 'c', max_tokens: 9, stream: true, messages: [] }) })).text()
  t.match(body, /\n\n: keep-alive comment\n\nevent: content_block_start/)
})

t.test('an upstream error body is masked too', async t => {
  const gw = await gateway(t, ['response'])
  gw.fake.behave({ failStatus: 400, echoKeyInError: true })
  const res = await fetch(`${gw.url}/openai/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ model: 'm', messages: [] }) })
  const text = await res.text()
  t.equal(res.status, 400)
  t.match(text, /Incorrect API key provided: \[redacted\]/)
})

t.test('Responses API function-call argument deltas are masked without a partial value', async t => {
  const gw = await gateway(t, ['response'])
  gw.fake.behave({ toolCall: { name: 'send_mail', arguments: JSON.stringify({ to: EMAIL }) }, deltas: 15 })
  const res = await fetch(`${gw.url}/openai/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ model: 'm', input: 'x', stream: true }) })
  const events = (await res.text()).split('\n\n').filter(Boolean).map(e => JSON.parse(e.split('\n').find(l => l.startsWith('data: '))!.slice(6)))
  const deltas = events.filter(e => e.type === 'response.function_call_arguments.delta').map(e => e.delta)
  t.same(JSON.parse(deltas.join('')), { to: '[EMAIL]' })
  t.notOk(deltas.some(d => /alice|example/.test(d)))
  t.same(JSON.parse(events.find(e => e.type === 'response.function_call_arguments.done').arguments), { to: '[EMAIL]' })
  t.same(events.map(e => e.sequence_number), events.map((_, i) => i))
})
