import { parseEventJson, parseJsonQuietly } from './event-json.js'
import { maskJsonStrings, type ResponseMasking } from './masking.js'
import { formatSse, type SseEvent } from './sse-parser.js'
import { isRecord, numberOr, type StreamHandler, type StreamOptions, type Usage } from './provider.js'
import type { ClientError } from './errors.js'

/**
 * A stream from a route gatehouse does not know (relayed because a rule allowed it): with a mask in
 * force every event is masked whole as JSON (a value split across events is not recognized, which is
 * why known routes have their own handlers); without one it passes as it came.
 */
export class GenericJsonStream implements StreamHandler {
  readonly #masking?: ResponseMasking
  readonly #errorEvent: (err: ClientError) => string
  #usage: Usage = {}

  constructor (opts: StreamOptions, errorEvent: (err: ClientError) => string) {
    this.#masking = opts.masking
    this.#errorEvent = errorEvent
  }

  usage (): Usage { return this.#usage }

  onEvent (ev: SseEvent): Buffer | string {
    if (ev.data === '' || ev.data.startsWith('[DONE]')) return ev.raw
    const e = this.#masking === undefined ? parseJsonQuietly(ev.data) : parseEventJson(ev)
    if (e !== undefined && isRecord(e.usage)) {
      this.#usage = {
        inputTokens: numberOr(e.usage.input_tokens) ?? numberOr(e.usage.prompt_tokens) ?? this.#usage.inputTokens,
        outputTokens: numberOr(e.usage.output_tokens) ?? numberOr(e.usage.completion_tokens) ?? this.#usage.outputTokens
      }
    }
    if (this.#masking === undefined || e === undefined) return ev.raw
    maskJsonStrings(e, this.#masking.mask)
    return formatSse(ev.event, JSON.stringify(e))
  }

  onEnd (): string { return '' }
  errorEvent (err: ClientError): string { return this.#errorEvent(err) }
}
