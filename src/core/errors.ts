/**
 * Every failure gatehouse reports has a class and a stable `code`; callers match on `code`.
 * Messages never carry tokens, keys or upstream secrets. Each code is documented in docs/errors.md.
 */
export abstract class GatehouseError extends Error {
  abstract readonly code: `GH_${string}`
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

/** A failure that is a list of problems in files, each formatted as `path:line:col: message`. */
abstract class ProblemListError extends GatehouseError {
  readonly problems: string[]
  constructor (problems: string[]) {
    super(problems.join('\n'))
    this.problems = problems
  }
}

/** gatehouse.yaml is missing a value, has a wrong type, or names something that does not exist. */
export class ConfigError extends ProblemListError { readonly code = 'GH_CONFIG' }

/** Bytes from a peer that break the protocol's framing or grammar. */
export class ProtocolError extends GatehouseError { readonly code = 'GH_PROTOCOL' }

/** A credential was missing, malformed, expired or not trusted. The message is safe to show the caller. */
export class AuthError extends GatehouseError { readonly code = 'GH_AUTH' }

/** Policy files that failed to load. */
export class PolicyLoadError extends ProblemListError { readonly code = 'GH_POLICY_LOAD' }

/** The upstream service could not be reached or broke the connection. */
export class UpstreamError extends GatehouseError { readonly code = 'GH_UPSTREAM' }

/** A message or body larger than the configured maximum. */
export class TooLargeError extends GatehouseError { readonly code = 'GH_TOO_LARGE' }

/** Dev mode could not start its embedded services. */
export class DevModeError extends GatehouseError { readonly code = 'GH_DEV_MODE' }

/** The upstream did not answer (headers, or the next body chunk) within its configured timeout. */
export class UpstreamTimeoutError extends GatehouseError { readonly code = 'GH_UPSTREAM_TIMEOUT' }

/** A request named a target (first path segment, database name) that is not configured. */
export class UnknownTargetError extends GatehouseError { readonly code = 'GH_UNKNOWN_TARGET' }

/** A response that a mask rule applies to could not be parsed, so it was cut rather than passed unmasked. */
export class UnmaskableResponseError extends GatehouseError { readonly code = 'GH_UNMASKABLE' }

/** A PII recognizer (built in or declared in a policy) whose pattern or options cannot be used. */
export class RecognizerError extends GatehouseError { readonly code = 'GH_RECOGNIZER' }
