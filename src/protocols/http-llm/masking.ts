import { UnmaskableResponseError } from '../../core/errors.js'
import { MAX_JSON_DEPTH, isRecord } from './provider.js'

/** A streaming masker for one text stream (a choice, a content block, a tool call's arguments). */
export interface StreamTextMasker {
  /** Masked text no later chunk can change; the rest is held back. */
  push (chunk: string): string
  /** Everything still held back, masked. */
  end (): string
}

/** The masks in force for one direction of one request, counting what they replaced. */
export interface TextMasking {
  mask (text: string): string
  stream (): StreamTextMasker
  /** Masked values so far, by entity type. */
  counts (): Record<string, number>
}

export type ResponseMasking = TextMasking

/**
 * Fields of provider JSON that carry structure rather than model or user text: never masked, so ids,
 * enums and padding survive (a random id can look like a secret).
 */
const STRUCTURAL_KEYS = new Set([
  'id', 'object', 'type', 'model', 'role', 'finish_reason', 'stop_reason', 'stop_sequence', 'status',
  'system_fingerprint', 'item_id', 'call_id', 'tool_call_id', 'tool_use_id', 'name', 'service_tier',
  'embedding', 'obfuscation', 'signature', 'request_id', 'created', 'created_at', 'owned_by', 'code', 'param'
])

const NOTHING: ReadonlySet<string> = new Set()

/** Objects written by the model whose keys are its own (Anthropic tool_use input): every string is masked. */
const FREE_FORM_KEYS = new Set(['input'])

/** Masks every string value of a parsed JSON value in place, except structural fields. */
export function maskJsonStrings (value: unknown, mask: (text: string) => string, skip: ReadonlySet<string> = STRUCTURAL_KEYS, depth = 0): void {
  if (depth > MAX_JSON_DEPTH) throw new UnmaskableResponseError(`the response nests deeper than ${MAX_JSON_DEPTH} levels`)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] === 'string') value[i] = mask(value[i])
      else maskJsonStrings(value[i], mask, skip, depth + 1)
    }
  } else if (isRecord(value)) {
    for (const k of Object.keys(value)) {
      const v = value[k]
      if (typeof v === 'string') {
        if (!skip.has(k)) value[k] = mask(v)
      } else if (v !== null && typeof v === 'object') {
        maskJsonStrings(v, mask, FREE_FORM_KEYS.has(k) ? NOTHING : skip, depth + 1)
      }
    }
  }
}

/** Streaming maskers keyed by the stream they belong to (choice, block, tool call). */
export class MaskerSet {
  readonly #masking: TextMasking
  readonly #open = new Map<string, StreamTextMasker>()
  constructor (masking: TextMasking) { this.#masking = masking }

  push (key: string, chunk: string): string {
    let m = this.#open.get(key)
    if (m === undefined) { m = this.#masking.stream(); this.#open.set(key, m) }
    return m.push(chunk)
  }

  /** Ends one stream; '' when it never started. */
  end (key: string): string {
    const m = this.#open.get(key)
    if (m === undefined) return ''
    this.#open.delete(key)
    return m.end()
  }

  /** Keys still open whose name starts with prefix. */
  openKeys (prefix = ''): string[] {
    return [...this.#open.keys()].filter(k => k.startsWith(prefix))
  }
}
