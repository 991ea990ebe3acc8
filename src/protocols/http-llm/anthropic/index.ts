import { isRecord, type Provider } from '../provider.js'
import { anthropicMaxTokens, anthropicRouteKind, anthropicUsage, visitAnthropicPrompt } from './request.js'
import { AnthropicMessageStream, anthropicErrorEvent } from './stream.js'
import { GenericJsonStream } from '../generic-stream.js'

/** The version header the Messages API requires; sent when the client did not choose one. */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01'

/** @see https://docs.anthropic.com/en/api/overview */
export const anthropicProvider: Provider = {
  name: 'anthropic',
  routeKind: anthropicRouteKind,
  visitPrompt: visitAnthropicPrompt,
  maxTokens: anthropicMaxTokens,
  credentialHeaders: (key, incoming) => ({
    ...(key === undefined ? {} : { 'x-api-key': key }),
    ...(incoming['anthropic-version'] === undefined ? { 'anthropic-version': DEFAULT_ANTHROPIC_VERSION } : {})
  }),
  // Anthropic streams always carry usage (message_start, message_delta).
  requestStreamUsage: () => false,
  usageFromJson: (_kind, body) => isRecord(body) ? anthropicUsage(body.usage) : undefined,
  createStreamHandler: (kind, opts) => kind === 'messages'
    ? new AnthropicMessageStream(opts)
    : new GenericJsonStream(opts, anthropicErrorEvent),
  /** @see https://docs.anthropic.com/en/api/errors */
  errorBody: (err, requestId) => ({ type: 'error', error: { type: err.anthropicType, message: err.message, code: err.code }, request_id: requestId })
}
