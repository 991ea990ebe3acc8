import { formatSse, type SseEvent } from '../sse-parser.js'
import { parseEventJson, parseJsonQuietly } from '../event-json.js'
import { MaskerSet, maskJsonStrings, type ResponseMasking } from '../masking.js'
import { isRecord, type StreamHandler, type StreamOptions, type Usage } from '../provider.js'
import type { ClientError } from '../errors.js'
import { anthropicUsage } from './request.js'

/**
 * Anthropic message streams: message_start, then per content block content_block_start /
 * content_block_delta... / content_block_stop, then message_delta (usage) and message_stop; ping anywhere.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */

/** The text field of each delta type that carries model text. */
const DELTA_TEXT_FIELDS: Record<string, string> = { text_delta: 'text', input_json_delta: 'partial_json', thinking_delta: 'thinking' }
/** signature_delta verifies thinking blocks: masking it would only break the signature. */
const OPAQUE_DELTAS = new Set(['signature_delta'])

export class AnthropicMessageStream implements StreamHandler {
  readonly #masking?: ResponseMasking
  readonly #maskers?: MaskerSet
  #usage: Usage = {}
  /** Delta type per open content block, to build its tail delta. */
  readonly #blockDeltaType = new Map<string, string>()

  constructor (opts: StreamOptions) {
    this.#masking = opts.masking
    if (opts.masking) this.#maskers = new MaskerSet(opts.masking)
  }

  usage (): Usage { return this.#usage }

  onEvent (ev: SseEvent): Buffer | string {
    if (ev.data === '') return ev.raw
    if (this.#masking === undefined) {
      if (ev.event === 'message_start' || ev.event === 'message_delta') this.#observeUsage(parseJsonQuietly(ev.data))
      return ev.raw
    }
    const e = parseEventJson(ev)
    const type = String(e.type ?? ev.event)
    if (type === 'ping') return ev.raw
    if (type === 'message_start' || type === 'message_delta') this.#observeUsage(e)
    let out = ''
    const delta = e.delta
    if (type === 'content_block_delta' && isRecord(delta) && typeof delta.type === 'string' && DELTA_TEXT_FIELDS[delta.type] !== undefined) {
      const field = DELTA_TEXT_FIELDS[delta.type]
      const key = String(e.index ?? 0)
      this.#blockDeltaType.set(key, delta.type)
      if (typeof delta[field] === 'string') {
        delta[field] = this.#maskers!.push(key, delta[field])
        // All of it held back for now: it comes in a later delta, so this one says nothing.
        if (delta[field] === '') return ''
      }
    } else if (!(type === 'content_block_delta' && isRecord(delta) && OPAQUE_DELTAS.has(String(delta.type)))) {
      if (type === 'content_block_stop') out = this.#tail(String(e.index ?? 0))
      maskJsonStrings(e, this.#masking.mask)
    }
    return out + formatSse(ev.event, JSON.stringify(e))
  }

  #observeUsage (e: Record<string, any> | undefined): void {
    const u = anthropicUsage(e?.type === 'message_start' ? e?.message?.usage : e?.usage)
    if (u === undefined) return
    this.#usage = { inputTokens: u.inputTokens ?? this.#usage.inputTokens, outputTokens: u.outputTokens ?? this.#usage.outputTokens }
  }

  /** What a block's masker still holds, as one more content_block_delta before its content_block_stop. */
  #tail (key: string): string {
    const tail = this.#maskers!.end(key)
    const deltaType = this.#blockDeltaType.get(key)
    this.#blockDeltaType.delete(key)
    if (tail === '' || deltaType === undefined) return ''
    const e = { type: 'content_block_delta', index: Number(key), delta: { type: deltaType, [DELTA_TEXT_FIELDS[deltaType]]: tail } }
    return formatSse('content_block_delta', JSON.stringify(e))
  }

  onEnd (): string {
    if (this.#maskers === undefined) return ''
    return this.#maskers.openKeys().map(k => this.#tail(k)).join('')
  }

  errorEvent (err: ClientError): string { return anthropicErrorEvent(err) }
}

/** The `error` event Anthropic streams end with. @see https://docs.anthropic.com/en/api/errors */
export function anthropicErrorEvent (err: ClientError): string {
  return formatSse('error', JSON.stringify({ type: 'error', error: { type: err.anthropicType, message: err.message, code: err.code } }))
}


