import { AuthError, GatehouseError, ProtocolError, TooLargeError, UnknownTargetError, UnmaskableResponseError, UpstreamError, UpstreamTimeoutError } from '../../core/errors.js'

/**
 * What a caller sees when gatehouse answers instead of the upstream: DESIGN.md "What callers see when
 * gatehouse says no". `type` is the error category in the provider's vocabulary, `code` a stable
 * gatehouse code (or the deciding rule's id for a policy decision).
 */
export interface ClientError {
  status: number
  /** OpenAI error.type; Anthropic's comes from anthropicType. */
  type: string
  anthropicType: string
  code: string
  message: string
  headers?: Record<string, string>
}

const NO_RETRY = { 'x-should-retry': 'false' }

export const llmErrors = {
  unauthenticated: (why: string): ClientError =>
    ({ status: 401, type: 'authentication_error', anthropicType: 'authentication_error', code: 'GH_AUTH', message: why }),
  policyDenied: (rule: string, message: string): ClientError =>
    ({ status: 403, type: 'policy_violation', anthropicType: 'policy_violation', code: rule, message, headers: NO_RETRY }),
  approvalRequired: (rule: string, message: string): ClientError =>
    ({ status: 403, type: 'approval_required', anthropicType: 'approval_required', code: rule, message, headers: NO_RETRY }),
  unknownRoute: (route: string): ClientError =>
    ({ status: 403, type: 'policy_violation', anthropicType: 'policy_violation', code: 'GH_UNKNOWN_ROUTE', message: `${route} is not an API route gatehouse knows; it is relayed only when a policy rule allows it (match llm.route)`, headers: NO_RETRY }),
  malformed: (what: string): ClientError =>
    ({ status: 400, type: 'invalid_request_error', anthropicType: 'invalid_request_error', code: 'GH_PROTOCOL', message: what }),
  unsupportedEncoding: (encoding: string): ClientError =>
    ({ status: 415, type: 'invalid_request_error', anthropicType: 'invalid_request_error', code: 'GH_PROTOCOL', message: `request bodies with content-encoding ${encoding} are not accepted; send them uncompressed` }),
  tooLarge: (why: string): ClientError =>
    ({ status: 413, type: 'invalid_request_error', anthropicType: 'request_too_large', code: 'GH_TOO_LARGE', message: why }),
  unknownTarget: (why: string): ClientError =>
    ({ status: 404, type: 'invalid_request_error', anthropicType: 'not_found_error', code: 'GH_UNKNOWN_TARGET', message: why }),
  upstreamDown: (why: string): ClientError =>
    ({ status: 502, type: 'upstream_error', anthropicType: 'api_error', code: 'GH_UPSTREAM', message: why }),
  upstreamTimeout: (why: string): ClientError =>
    ({ status: 504, type: 'upstream_error', anthropicType: 'timeout_error', code: 'GH_UPSTREAM_TIMEOUT', message: why }),
  unmaskable: (why: string): ClientError =>
    ({ status: 502, type: 'upstream_error', anthropicType: 'api_error', code: 'GH_UNMASKABLE', message: `response cut: ${why} (a mask rule applies, so gatehouse does not pass it unmasked)` }),
  shuttingDown: (): ClientError =>
    ({ status: 503, type: 'server_error', anthropicType: 'overloaded_error', code: 'GH_SHUTTING_DOWN', message: 'gatehouse is shutting down; retry' }),
  /** Never sent (there is no one to send it to): what the audit line says about a request the client abandoned. */
  clientClosed: (): ClientError =>
    ({ status: 499, type: 'client_closed', anthropicType: 'client_closed', code: 'GH_CLIENT_CLOSED', message: 'the client closed the connection before the response was complete' }),
  internal: (requestId: string): ClientError =>
    ({ status: 500, type: 'server_error', anthropicType: 'api_error', code: 'GH_INTERNAL', message: `internal gatehouse error (request ${requestId})` })
}

/** Maps a gatehouse error to what the caller sees; anything unexpected becomes a generic 500. */
export function clientErrorOf (err: unknown, requestId: string): ClientError {
  if (err instanceof AuthError) return llmErrors.unauthenticated(err.message)
  if (err instanceof TooLargeError) return llmErrors.tooLarge(err.message)
  if (err instanceof ProtocolError) return llmErrors.malformed(err.message)
  if (err instanceof UnknownTargetError) return llmErrors.unknownTarget(err.message)
  if (err instanceof UpstreamTimeoutError) return llmErrors.upstreamTimeout(err.message)
  if (err instanceof UnmaskableResponseError) return llmErrors.unmaskable(err.message)
  if (err instanceof UpstreamError) return llmErrors.upstreamDown(err.message)
  if (err instanceof GatehouseError) return { ...llmErrors.internal(requestId), code: err.code }
  return llmErrors.internal(requestId)
}
