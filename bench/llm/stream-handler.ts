/**
 * mitata micro-bench of the SSE hot path inside gatehouse: one 50-chunk OpenAI chat stream and one
 * Anthropic message stream through the parser and the provider's stream handler, unmasked (usage
 * watched only), with the usage chunk stripped, and masked with the PII engine (EMAIL..SECRET).
 *
 * Run: npx tsx bench/llm/stream-handler.ts
 * Read with bench/llm/gateway-overhead.ts: this is the part of "added to a whole stream" spent in our code.
 */
import { bench, group, run } from 'mitata'
import type { MaskSpec } from '../../src/core/events/index.js'
import { anthropicProvider } from '../../src/protocols/http-llm/anthropic/index.js'
import { openaiProvider } from '../../src/protocols/http-llm/openai/index.js'
import { piiMasking } from '../../src/protocols/http-llm/pii-masking.js'
import type { Provider, RouteKind, StreamOptions } from '../../src/protocols/http-llm/provider.js'
import { SseParser } from '../../src/protocols/http-llm/sse-parser.js'

const CHUNKS = 50
const spec: MaskSpec = { rule: 'mask-pii', entities: ['EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN', 'IBAN', 'IP_ADDRESS', 'SECRET'], columns: [], applyTo: ['response'], style: 'label' }
const masking = piiMasking()

const words = Array.from({ length: CHUNKS }, (_, i) => ` word${i}`)
const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1741569952, model: 'gpt-4o-mini' }
const openaiStream = Buffer.from([
  ...words.map(w => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: w }, logprobs: null, finish_reason: null }], usage: null })}\n\n`),
  `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null })}\n\n`,
  `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 42, completion_tokens: 50, total_tokens: 92 } })}\n\n`,
  'data: [DONE]\n\n'
].join(''))
const ev = (name: string, v: object) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...v })}\n\n`
const anthropicStream = Buffer.from([
  ev('message_start', { message: { id: 'msg', type: 'message', role: 'assistant', model: 'c', content: [], usage: { input_tokens: 42, output_tokens: 1 } } }),
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ...words.map(w => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: w } })),
  ev('content_block_stop', { index: 0 }),
  ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 50 } }),
  ev('message_stop', {})
].join(''))

/** The stream as the upstream sent it, one event per network chunk. */
const split = (b: Buffer) => b.toString().split(/(?<=\n\n)/).map(s => Buffer.from(s))
const openaiChunks = split(openaiStream)
const anthropicChunks = split(anthropicStream)

function relay (provider: Provider, kind: RouteKind, chunks: Buffer[], opts: () => StreamOptions): number {
  const handler = provider.createStreamHandler(kind, opts())
  const parser = new SseParser()
  let bytes = 0
  for (const c of chunks) for (const e of parser.push(c)) bytes += handler.onEvent(e).length
  return bytes + handler.onEnd().length
}

group(`OpenAI chat stream, ${CHUNKS} chunks`, () => {
  bench('unmasked (usage watched)', () => relay(openaiProvider, 'chat', openaiChunks, () => ({ stripUsageChunk: false })))
  bench('usage chunk stripped', () => relay(openaiProvider, 'chat', openaiChunks, () => ({ stripUsageChunk: true })))
  bench('masked', () => relay(openaiProvider, 'chat', openaiChunks, () => ({ stripUsageChunk: true, masking: masking([spec], 'response') })))
})
group(`Anthropic message stream, ${CHUNKS} deltas`, () => {
  bench('unmasked (usage watched)', () => relay(anthropicProvider, 'messages', anthropicChunks, () => ({ stripUsageChunk: false })))
  bench('masked', () => relay(anthropicProvider, 'messages', anthropicChunks, () => ({ stripUsageChunk: false, masking: masking([spec], 'response') })))
})

await run()
