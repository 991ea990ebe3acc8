import type { Provider } from '../provider.js'
import { openaiMaxTokens, openaiRouteKind, openaiUsage, requestOpenaiStreamUsage, visitOpenaiPrompt } from './request.js'
import { OpenaiChunkStream, OpenaiResponsesStream, openaiChunkErrorEvent } from './stream.js'
import { isRecord } from '../provider.js'
import { GenericJsonStream } from '../generic-stream.js'

/** @see https://platform.openai.com/docs/api-reference/introduction */
export const openaiProvider: Provider = {
  name: 'openai',
  routeKind: openaiRouteKind,
  visitPrompt: visitOpenaiPrompt,
  maxTokens: openaiMaxTokens,
  credentialHeaders: (key): Record<string, string> => key === undefined ? {} : { authorization: `Bearer ${key}` },
  requestStreamUsage: requestOpenaiStreamUsage,
  usageFromJson: (_kind, body) => isRecord(body) ? openaiUsage(body.usage) : undefined,
  createStreamHandler: (kind, opts) => {
    if (kind === 'responses') return new OpenaiResponsesStream(opts)
    if (kind === 'chat' || kind === 'completions') return new OpenaiChunkStream(kind, opts)
    return new GenericJsonStream(opts, openaiChunkErrorEvent)
  },
  /** @see https://platform.openai.com/docs/guides/error-codes */
  errorBody: err => ({ error: { message: err.message, type: err.type, param: null, code: err.code } })
}
