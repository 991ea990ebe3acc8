import { Readable } from 'node:stream'
import { createHash } from 'node:crypto'
import type { HttpLlmTargetConfig } from '../../core/config/index.js'
import type { ReadinessCheck } from '../../core/plugin/index.js'
import { isRecord, type Provider } from './provider.js'
import type { Upstream, UpstreamRequest, UpstreamResponse } from './upstream.js'

/** The response header that labels every demo answer. */
export const DEMO_MODEL_HEADER = 'x-gatehouse-model'
const CREATED = 1_700_000_000
/** Demo answers stream in pieces of this many characters. */
const DEMO_DELTA_CHARS = 12

type Body = Record<string, any>

/**
 * A deterministic stand-in for a provider, used by dev mode when no API key is configured: answers in
 * the provider's exact JSON and SSE shapes, echoing the (already masked) last prompt text.
 */
export class DemoUpstream implements Upstream {
  readonly #target: HttpLlmTargetConfig
  readonly #provider: Provider

  constructor (target: HttpLlmTargetConfig, provider: Provider) {
    this.#target = target
    this.#provider = provider
  }

  async request (r: UpstreamRequest): Promise<UpstreamResponse> {
    const path = r.path.split('?')[0]
    const kind = this.#provider.routeKind(r.method, path)
    let body: Body = {}
    try { body = r.body && r.body.length > 0 ? JSON.parse(r.body.toString('utf8')) : {} } catch {}
    const prompt: string[] = []
    this.#provider.visitPrompt(kind, body, t => { prompt.push(t); return undefined })
    const said = (prompt.at(-1) ?? '').slice(0, 200)
    const text = `This is gatehouse's demo model (target ${this.#target.name} has no API key configured). You said: "${said}"`
    const usage = { input: Math.ceil(prompt.join(' ').length / 4), output: Math.ceil(text.length / 4) }
    const model = typeof body.model === 'string' ? body.model : 'demo'
    const stream = body.stream === true
    switch (kind) {
      case 'chat': return stream ? sse(openaiChatEvents(model, text, usage, body)) : json(200, openaiChat(model, text, usage))
      case 'completions': return stream ? sse(openaiCompletionEvents(model, text)) : json(200, { id: 'cmpl-demo', object: 'text_completion', created: CREATED, model, choices: [{ text, index: 0, logprobs: null, finish_reason: 'stop' }], usage: openaiUsage(usage) })
      case 'embeddings': return json(200, embeddings(model, body, usage.input))
      case 'responses': return stream ? sse(responsesEvents(model, text, usage)) : json(200, responsesObject(model, text, usage, 'completed'))
      case 'models': return json(200, this.#provider.name === 'openai'
        ? { object: 'list', data: [{ id: 'demo', object: 'model', created: CREATED, owned_by: 'gatehouse' }] }
        : { data: [{ type: 'model', id: 'demo', display_name: 'gatehouse demo', created_at: '2024-01-01T00:00:00Z' }], has_more: false, first_id: 'demo', last_id: 'demo' })
      case 'messages': return stream ? sse(anthropicEvents(model, text, usage)) : json(200, anthropicMessage(model, text, usage))
      case 'count_tokens': return json(200, { input_tokens: usage.input })
      default: return json(404, this.#provider.errorBody({ status: 404, type: 'invalid_request_error', anthropicType: 'not_found_error', code: 'GH_UNKNOWN_ROUTE', message: `the demo model does not serve ${r.method} ${path}` }, 'demo'))
    }
  }

  async check (): Promise<ReadinessCheck> { return { name: `http-llm:${this.#target.name}`, ok: true, detail: 'demo model' } }
  async close (): Promise<void> {}
}

const headers = (contentType: string) => ({ 'content-type': contentType, [DEMO_MODEL_HEADER]: 'demo' })

function json (status: number, value: unknown): UpstreamResponse {
  return { statusCode: status, headers: headers('application/json'), body: Readable.from([Buffer.from(JSON.stringify(value))]) }
}

function sse (events: string[]): UpstreamResponse {
  return { statusCode: 200, headers: { ...headers('text/event-stream; charset=utf-8'), 'cache-control': 'no-cache' }, body: Readable.from(events.map(e => Buffer.from(e))) }
}

const data = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`
const named = (name: string, v: unknown) => `event: ${name}\ndata: ${JSON.stringify(v)}\n\n`

function pieces (text: string): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += DEMO_DELTA_CHARS) out.push(text.slice(i, i + DEMO_DELTA_CHARS))
  return out
}

interface DemoUsage { input: number; output: number }
const openaiUsage = (u: DemoUsage) => ({ prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output })

function openaiChat (model: string, text: string, u: DemoUsage) {
  return { id: 'chatcmpl-demo', object: 'chat.completion', created: CREATED, model, choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }], usage: openaiUsage(u) }
}

function openaiChatEvents (model: string, text: string, u: DemoUsage, body: Body): string[] {
  const withUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true
  const base = { id: 'chatcmpl-demo', object: 'chat.completion.chunk', created: CREATED, model }
  const chunk = (delta: Body, finish: string | null) => data({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(withUsage ? { usage: null } : {}) })
  return [
    chunk({ role: 'assistant', content: '', refusal: null }, null),
    ...pieces(text).map(p => chunk({ content: p }, null)),
    chunk({}, 'stop'),
    ...(withUsage ? [data({ ...base, choices: [], usage: openaiUsage(u) })] : []),
    'data: [DONE]\n\n'
  ]
}

function openaiCompletionEvents (model: string, text: string): string[] {
  const chunk = (t: string, finish: string | null) => data({ id: 'cmpl-demo', object: 'text_completion', created: CREATED, choices: [{ text: t, index: 0, logprobs: null, finish_reason: finish }], model })
  return [...pieces(text).map(p => chunk(p, null)), chunk('', 'stop'), 'data: [DONE]\n\n']
}

function embeddings (model: string, body: Body, inputTokens: number) {
  const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input]
  const data = inputs.map((input, index) => {
    const digest = createHash('sha256').update(JSON.stringify(input)).digest()
    const vector = Array.from({ length: 16 }, (_, i) => digest[i] / 255 - 0.5)
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector
    return { object: 'embedding', index, embedding }
  })
  return { object: 'list', data, model, usage: { prompt_tokens: inputTokens, total_tokens: inputTokens } }
}

function responsesObject (model: string, text: string, u: DemoUsage, status: string) {
  const output = status === 'completed' ? [{ id: 'msg_demo', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], text }] }] : []
  return {
    id: 'resp_demo', object: 'response', created_at: CREATED, status, error: null, incomplete_details: null, model, output,
    parallel_tool_calls: true, tool_choice: 'auto', tools: [],
    usage: status === 'completed' ? { input_tokens: u.input, output_tokens: u.output, total_tokens: u.input + u.output } : null
  }
}

function responsesEvents (model: string, text: string, u: DemoUsage): string[] {
  let seq = 0
  const ev = (type: string, v: Body) => named(type, { type, ...v, sequence_number: seq++ })
  const where = { item_id: 'msg_demo', output_index: 0, content_index: 0 }
  return [
    ev('response.created', { response: responsesObject(model, text, u, 'in_progress') }),
    ev('response.output_item.added', { output_index: 0, item: { id: 'msg_demo', type: 'message', status: 'in_progress', role: 'assistant', content: [] } }),
    ev('response.content_part.added', { ...where, part: { type: 'output_text', annotations: [], text: '' } }),
    ...pieces(text).map(p => ev('response.output_text.delta', { ...where, delta: p })),
    ev('response.output_text.done', { ...where, text }),
    ev('response.content_part.done', { ...where, part: { type: 'output_text', annotations: [], text } }),
    ev('response.output_item.done', { output_index: 0, item: responsesObject(model, text, u, 'completed').output[0] }),
    ev('response.completed', { response: responsesObject(model, text, u, 'completed') })
  ]
}

function anthropicMessage (model: string, text: string, u: DemoUsage) {
  return { id: 'msg_demo', type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: u.input, output_tokens: u.output } }
}

function anthropicEvents (model: string, text: string, u: DemoUsage): string[] {
  return [
    named('message_start', { type: 'message_start', message: { ...anthropicMessage(model, text, u), content: [], stop_reason: null, usage: { input_tokens: u.input, output_tokens: 1 } } }),
    named('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ...pieces(text).map(p => named('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } })),
    named('content_block_stop', { type: 'content_block_stop', index: 0 }),
    named('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: u.output } }),
    named('message_stop', { type: 'message_stop' })
  ]
}
