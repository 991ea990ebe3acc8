import type { LlmFacts } from '../../core/events/index.js'
import { ProtocolError } from '../../core/errors.js'
import type { SseEvent } from './sse-parser.js'
import type { ResponseMasking } from './masking.js'
import type { ClientError } from './errors.js'

/** What a known API route does; 'other' is relayed only when a rule allows it. */
export type RouteKind = 'chat' | 'completions' | 'embeddings' | 'responses' | 'models' | 'messages' | 'count_tokens' | 'other'

/** Sees one prompt text; a returned string replaces it in the request body. */
export type TextVisitor = (text: string) => string | undefined

export interface Usage { inputTokens?: number; outputTokens?: number }

/** Turns upstream SSE events into what the client receives, and watches them for usage. */
export interface StreamHandler {
  /** Bytes for this event: its raw bytes, a re-serialized form, or '' to drop it. */
  onEvent (ev: SseEvent): Buffer | string
  /** At the upstream's clean end: anything still held back (mask tails). */
  onEnd (): string
  /** A provider-shaped error event that ends the stream. */
  errorEvent (err: ClientError): string
  usage (): Usage
}

export interface StreamOptions {
  /** gatehouse added stream_options.include_usage: drop the usage-only chunk the client did not ask for. */
  stripUsageChunk: boolean
  masking?: ResponseMasking
}

/** Everything that differs between the OpenAI and Anthropic APIs. */
export interface Provider {
  readonly name: LlmFacts['provider']
  routeKind (method: string, apiPath: string): RouteKind
  /** Visits every prompt, system and tool text of a request body in order. */
  visitPrompt (kind: RouteKind, body: Record<string, unknown>, visit: TextVisitor): void
  maxTokens (body: Record<string, unknown>): number | undefined
  /** Upstream headers carrying the target's key, plus what the API requires when the client left it out. */
  credentialHeaders (key: string | undefined, incoming: Record<string, string | string[] | undefined>): Record<string, string>
  /** For a streaming request: add what usage accounting needs; true when the client did not ask for it. */
  requestStreamUsage (kind: RouteKind, body: Record<string, unknown>): boolean
  usageFromJson (kind: RouteKind, body: unknown): Usage | undefined
  createStreamHandler (kind: RouteKind, opts: StreamOptions): StreamHandler
  /** The JSON error body in the provider's own shape. */
  errorBody (err: ClientError, requestId: string): unknown
}

export const isRecord = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Visits obj[key] when it is a string and writes back a replacement. */
export function visitField (obj: unknown, key: string | number, visit: TextVisitor): void {
  if (obj === null || typeof obj !== 'object') return
  const o = obj as Record<string | number, unknown>
  const v = o[key]
  if (typeof v !== 'string') return
  const r = visit(v)
  if (r !== undefined) o[key] = r
}

/** Deeper JSON than this is refused: no API nests so deep, and text below it would escape policy. */
export const MAX_JSON_DEPTH = 64

/** Visits every string leaf of a value (tool-call inputs), in document order. */
export function visitStrings (obj: unknown, visit: TextVisitor, depth = 0): void {
  if (depth > MAX_JSON_DEPTH) throw new ProtocolError(`request JSON nested deeper than ${MAX_JSON_DEPTH} levels`)
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      if (typeof obj[i] === 'string') visitField(obj, i, visit)
      else visitStrings(obj[i], visit, depth + 1)
    }
  } else if (isRecord(obj)) {
    for (const k of Object.keys(obj)) {
      if (typeof obj[k] === 'string') visitField(obj, k, visit)
      else visitStrings(obj[k], visit, depth + 1)
    }
  }
}

export function numberOr (v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}
