import { formatSse, type SseEvent } from '../sse-parser.js'
import { parseEventJson, parseJsonQuietly } from '../event-json.js'
import { MaskerSet, maskJsonStrings, type ResponseMasking } from '../masking.js'
import { isRecord, type StreamHandler, type StreamOptions, type Usage } from '../provider.js'
import type { ClientError } from '../errors.js'
import { openaiUsage } from './request.js'

/**
 * OpenAI streams. chat/completions and completions: `data: {chunk}` events ending with `data: [DONE]`.
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 * The Responses API: named semantic events with a sequence_number, ending with response.completed.
 * @see https://platform.openai.com/docs/api-reference/responses-streaming
 */

const USAGE_OBJECT = /"usage"\s*:\s*\{/
/** Chunk fields that are structure, not text. */
const STRUCTURAL_CHUNK_FIELDS = new Set(['id', 'object', 'model', 'system_fingerprint', 'service_tier', 'obfuscation'])
/** Delta fields that are structure, not text. */
const STRUCTURAL_DELTA_FIELDS = new Set(['role', 'type'])


/** chat/completions and legacy completions chunks. */
export class OpenaiChunkStream implements StreamHandler {
  readonly #kind: 'chat' | 'completions'
  readonly #strip: boolean
  readonly #masking?: ResponseMasking
  readonly #maskers?: MaskerSet
  #usage: Usage = {}
  /** id/object/created/model of the last chunk, to build a chunk carrying mask tails. */
  #base: Record<string, unknown> = {}

  constructor (kind: 'chat' | 'completions', opts: StreamOptions) {
    this.#kind = kind
    this.#strip = opts.stripUsageChunk
    this.#masking = opts.masking
    if (opts.masking) this.#maskers = new MaskerSet(opts.masking)
  }

  usage (): Usage { return this.#usage }

  onEvent (ev: SseEvent): Buffer | string {
    if (ev.data === '') return ev.raw
    if (ev.data.startsWith('[DONE]')) return this.#tailChunk() + ev.raw.toString('utf8')
    if (this.#masking === undefined) {
      if (!USAGE_OBJECT.test(ev.data)) return ev.raw
      const chunk = parseJsonQuietly(ev.data)
      this.#usage = openaiUsage(chunk?.usage) ?? this.#usage
      return this.#strip && chunk !== undefined && isUsageOnly(chunk) ? '' : ev.raw
    }
    const chunk = parseEventJson(ev)
    if (chunk.error !== undefined) {
      maskJsonStrings(chunk, this.#masking.mask)
      return formatSse(ev.event, JSON.stringify(chunk))
    }
    if (isRecord(chunk.usage)) this.#usage = openaiUsage(chunk.usage) ?? this.#usage
    if (this.#strip && isUsageOnly(chunk)) return ''
    this.#base = { id: chunk.id, object: chunk.object, created: chunk.created, model: chunk.model }
    // Whatever an OpenAI-compatible upstream adds beside the choices (citations, vendor fields) is masked whole.
    for (const key of Object.keys(chunk)) {
      const v = chunk[key]
      if (key === 'choices' || v === null || (typeof v !== 'object' && typeof v !== 'string')) continue
      if (typeof v === 'object') maskJsonStrings(v, this.#masking.mask)
      else if (!STRUCTURAL_CHUNK_FIELDS.has(key)) chunk[key] = this.#masking.mask(v)
    }
    if (Array.isArray(chunk.choices)) for (const choice of chunk.choices) if (isRecord(choice)) this.#maskChoice(choice)
    return formatSse(ev.event, JSON.stringify(chunk))
  }

  #maskChoice (choice: Record<string, any>): void {
    const maskers = this.#maskers!
    const i = Number(choice.index ?? 0)
    // Token-by-token logprobs would spell out what masking removed.
    if (choice.logprobs != null) choice.logprobs = null
    const holder = this.#kind === 'chat' ? choice.delta : choice
    if (isRecord(holder)) {
      for (const field of Object.keys(holder)) {
        const v = holder[field]
        if (typeof v === 'string' && !STRUCTURAL_DELTA_FIELDS.has(field) && field !== 'finish_reason') {
          holder[field] = maskers.push(`${i}:f:${field}`, v)
        } else if (field !== 'tool_calls' && v !== null && typeof v === 'object') {
          // Nested extras (audio transcripts, vendor fields) are masked whole, chunk by chunk.
          maskJsonStrings(v, this.#masking!.mask)
        }
      }
      if (Array.isArray(holder.tool_calls)) {
        for (const call of holder.tool_calls) {
          if (isRecord(call) && isRecord(call.function) && typeof call.function.arguments === 'string') {
            call.function.arguments = maskers.push(`${i}:t:${Number(call.index ?? 0)}`, call.function.arguments)
          }
        }
      }
    }
    if (choice.finish_reason != null) this.#applyTails(i, choice)
  }

  /** Appends what the maskers of choice i still hold to that choice's chunk. */
  #applyTails (i: number, choice: Record<string, any>): boolean {
    const maskers = this.#maskers!
    let any = false
    if (this.#kind === 'chat' && !isRecord(choice.delta)) choice.delta = {}
    const holder: Record<string, any> = this.#kind === 'chat' ? choice.delta : choice
    for (const key of maskers.openKeys(`${i}:`)) {
      const tail = maskers.end(key)
      if (tail === '') continue
      any = true
      const [, kind, name] = key.split(':')
      if (kind === 'f') {
        holder[name] = (typeof holder[name] === 'string' ? holder[name] : '') + tail
      } else {
        if (!Array.isArray(holder.tool_calls)) holder.tool_calls = []
        const index = Number(name)
        const call = holder.tool_calls.find((c: any) => isRecord(c) && Number(c.index ?? 0) === index)
        if (call && isRecord(call.function)) call.function.arguments = String(call.function.arguments ?? '') + tail
        else holder.tool_calls.push({ index, function: { arguments: tail } })
      }
    }
    return any
  }

  /** A chunk carrying every tail still held (a stream that ended without finish_reason). */
  #tailChunk (): string {
    if (this.#maskers === undefined) return ''
    const indexes = new Set(this.#maskers.openKeys().map(k => Number(k.split(':')[0])))
    const choices: Array<Record<string, any>> = []
    for (const index of indexes) {
      const choice: Record<string, any> = this.#kind === 'chat' ? { index, delta: {}, logprobs: null, finish_reason: null } : { text: '', index, logprobs: null, finish_reason: null }
      if (this.#applyTails(index, choice)) choices.push(choice)
    }
    return choices.length === 0 ? '' : formatSse(undefined, JSON.stringify({ ...this.#base, choices }))
  }

  onEnd (): string { return this.#tailChunk() }

  errorEvent (err: ClientError): string { return openaiChunkErrorEvent(err) }
}


/** The error chunk OpenAI streams end with; SDKs raise any chunk that has an `error`. */
export function openaiChunkErrorEvent (err: ClientError): string {
  return formatSse(undefined, JSON.stringify({ error: { message: err.message, type: err.type, param: null, code: err.code } }))
}

function isUsageOnly (chunk: Record<string, any>): boolean {
  return isRecord(chunk.usage) && Array.isArray(chunk.choices) && chunk.choices.length === 0
}

const FINAL_RESPONSE_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed'])

/** Responses API semantic events. */
export class OpenaiResponsesStream implements StreamHandler {
  readonly #masking?: ResponseMasking
  readonly #maskers?: MaskerSet
  #usage: Usage = {}
  /** Synthetic events inserted so far: later sequence numbers shift by this much. */
  #inserted = 0
  #lastSequence = -1
  /** The last delta event per text stream, as a template for a tail delta. */
  readonly #templates = new Map<string, Record<string, any>>()

  constructor (opts: StreamOptions) {
    this.#masking = opts.masking
    if (opts.masking) this.#maskers = new MaskerSet(opts.masking)
  }

  usage (): Usage { return this.#usage }

  onEvent (ev: SseEvent): Buffer | string {
    if (ev.data === '') return ev.raw
    if (this.#masking === undefined) {
      if (ev.event !== undefined && FINAL_RESPONSE_EVENTS.has(ev.event)) this.#observeUsage(parseJsonQuietly(ev.data))
      return ev.raw
    }
    const e = parseEventJson(ev)
    const type = String(e.type ?? ev.event ?? '')
    if (FINAL_RESPONSE_EVENTS.has(type)) this.#observeUsage(e)
    let out = ''
    if (type.endsWith('.delta') && typeof e.delta === 'string') {
      const key = streamKey(type.slice(0, -'.delta'.length), e)
      e.delta = this.#maskers!.push(key, e.delta)
      if (Array.isArray(e.logprobs)) e.logprobs = []
      const { delta: _, ...template } = e
      this.#templates.set(key, template)
    } else {
      if (type.endsWith('.done')) out = this.#tail(streamKey(type.slice(0, -'.done'.length), e))
      maskJsonStrings(e, this.#masking.mask)
    }
    return out + this.#serialize(ev.event, e)
  }

  #observeUsage (e: Record<string, any> | undefined): void {
    this.#usage = openaiUsage(e?.response?.usage) ?? this.#usage
  }

  #serialize (event: string | undefined, e: Record<string, any>): string {
    if (typeof e.sequence_number === 'number') {
      this.#lastSequence = e.sequence_number
      e.sequence_number += this.#inserted
    }
    return formatSse(event, JSON.stringify(e))
  }

  /** The tail a text stream's maskers still hold, as one more delta event just before its done event. */
  #tail (key: string): string {
    const tail = this.#maskers!.end(key)
    const template = this.#templates.get(key)
    this.#templates.delete(key)
    if (tail === '' || template === undefined) return ''
    const e: Record<string, any> = { ...template, delta: tail, sequence_number: this.#lastSequence + this.#inserted + 1 }
    this.#inserted++
    return formatSse(String(template.type), JSON.stringify(e))
  }

  onEnd (): string {
    if (this.#maskers === undefined) return ''
    return this.#maskers.openKeys().map(k => this.#tail(k)).join('')
  }

  errorEvent (err: ClientError): string {
    // The documented error event, plus `error` so SDKs that check for it throw instead of ending quietly.
    const e = { type: 'error', code: err.code, message: err.message, param: null, sequence_number: this.#lastSequence + this.#inserted + 1, error: { type: err.type, code: err.code, message: err.message } }
    return formatSse('error', JSON.stringify(e))
  }
}

/** Which text stream a delta/done event belongs to: its kind, output item and content part. */
function streamKey (kind: string, e: Record<string, any>): string {
  return `${kind}:${e.output_index ?? ''}:${e.content_index ?? e.summary_index ?? ''}`
}
