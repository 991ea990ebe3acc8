import t from 'tap'
import fc from 'fast-check'
import type { MaskSpec } from '../../../src/core/events/index.js'
import { createMasker } from '../../../src/core/pii/index.js'
import { openaiProvider } from '../../../src/protocols/http-llm/openai/index.js'
import { anthropicProvider } from '../../../src/protocols/http-llm/anthropic/index.js'
import { piiMasking } from '../../../src/protocols/http-llm/pii-masking.js'
import { SseParser } from '../../../src/protocols/http-llm/sse-parser.js'
import type { Provider, RouteKind } from '../../../src/protocols/http-llm/provider.js'
import { splitText } from '../../fixtures/fake-llm/index.js'

const ENTITIES = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'SECRET', 'IP_ADDRESS']
const spec: MaskSpec = { rule: 'mask-pii', entities: ENTITIES, columns: [], applyTo: ['response'], style: 'label' }
const whole = createMasker({ style: 'label', entities: ENTITIES })
const factory = piiMasking()

const piiText = fc.array(fc.oneof(
  fc.constantFrom('a.b@example.com', 'call +1 415 555 0100', '4111-1111-1111-1111', 'ip 10.1.2.3', 'sk-proj-' + 'x7'.repeat(20)),
  fc.string({ maxLength: 12 })
), { maxLength: 8 }).map(parts => parts.join(' '))

function run (provider: Provider, kind: RouteKind, events: string[]): string {
  const handler = provider.createStreamHandler(kind, { stripUsageChunk: false, masking: factory([spec], 'response') })
  const parser = new SseParser()
  let out = ''
  for (const e of events) for (const ev of parser.push(Buffer.from(e))) out += handler.onEvent(ev).toString()
  return out + handler.onEnd()
}

const frames = (out: string) => out.split('\n\n').filter(Boolean).map(f => ({ event: /^event: (.*)$/m.exec(f)?.[1], data: /^data: (.*)$/m.exec(f)![1] }))

t.test('OpenAI chat: however the text is cut into deltas, the client gets exactly the whole-text masking', async t => {
  fc.assert(fc.property(piiText, fc.integer({ min: 1, max: 40 }), (text, n) => {
    const chunk = (delta: object, finish: string | null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`
    const out = run(openaiProvider, 'chat', [...splitText(text, n).map(p => chunk({ content: p }, null)), chunk({}, 'stop'), 'data: [DONE]\n\n'])
    const got = frames(out).filter(f => f.data !== '[DONE]').map(f => JSON.parse(f.data).choices[0].delta.content ?? '').join('')
    return got === whole.mask(text).masked
  }), { numRuns: 150 })
  t.pass('property held')
})

t.test('Anthropic: text and tool JSON deltas, cut anywhere, assemble to the whole-text masking', async t => {
  fc.assert(fc.property(piiText, fc.integer({ min: 1, max: 40 }), fc.boolean(), (text, n, asTool) => {
    const deltaType = asTool ? 'input_json_delta' : 'text_delta'
    const field = asTool ? 'partial_json' : 'text'
    const ev = (name: string, v: object) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...v })}\n\n`
    const out = run(anthropicProvider, 'messages', [
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ...splitText(text, n).map(p => ev('content_block_delta', { index: 0, delta: { type: deltaType, [field]: p } })),
      ev('content_block_stop', { index: 0 }),
      ev('message_stop', {})
    ])
    const fs = frames(out)
    const got = fs.filter(f => f.event === 'content_block_delta').map(f => JSON.parse(f.data).delta[field]).join('')
    const stopAfterDeltas = fs.findIndex(f => f.event === 'content_block_stop') > fs.map(f => f.event).lastIndexOf('content_block_delta')
    return got === whole.mask(text).masked && stopAfterDeltas
  }), { numRuns: 150 })
  t.pass('property held')
})

t.test('fields beside the known text streams are masked whole: vendor extras in chunks, events of unknown routes', async t => {
  const out = run(openaiProvider, 'chat', [
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', citations: ['see a.b@example.com'], choices: [{ index: 0, delta: { content: 'hi', audio: { transcript: 'mail a.b@example.com' } }, finish_reason: 'stop' }] })}\n\n`
  ])
  const chunk = JSON.parse(frames(out)[0].data)
  t.same(chunk.citations, ['see [EMAIL]'])
  t.equal(chunk.choices[0].delta.audio.transcript, 'mail [EMAIL]')
  t.equal(chunk.id, 'c')

  for (const provider of [openaiProvider, anthropicProvider]) {
    const other = run(provider, 'other', ['event: progress\ndata: {"note":"reach a.b@example.com","usage":{"input_tokens":3}}\n\n', 'data: [DONE]\n\n'])
    t.equal(other, 'event: progress\ndata: {"note":"reach [EMAIL]","usage":{"input_tokens":3}}\n\ndata: [DONE]\n\n', `${provider.name}: an unknown route's events are masked`)
  }
})
