import type { Provider } from '../provider.js'
import { openaiMaxTokens, openaiRouteKind, openaiUsage, requestOpenaiStreamUsage, visitOpenaiPrompt } from './request.js'
import { OpenaiChunkStream, OpenaiResponsesStream } from './stream.js'
import { isRecord } from '../provider.js'

/** @see https://platform.openai.com/docs/api-reference/introduction */
export const openaiProvider: Provider = {
  name: 'openai',
  routeKind: openaiRouteKind,
  visitPrompt: visitOpenaiPrompt,
  maxTokens: openaiMaxTokens,
  credentialHeaders: (key): Record<string, string> => key === undefined ? {} : { authorization: `Bearer ${key}` },
  requestStreamUsage: requestOpenaiStreamUsage,
  usageFromJson: (_kind, body) => isRecord(body) ? openaiUsage(body.usage) : undefined,
  createStreamHandler: (kind, opts) => kind === 'responses' ? new OpenaiResponsesStream(opts) : new OpenaiChunkStream(kind === 'completions' ? 'completions' : 'chat', opts),
  /** @see https://platform.openai.com/docs/guides/error-codes */
  errorBody: err => ({ error: { message: err.message, type: err.type, param: null, code: err.code } })
}
