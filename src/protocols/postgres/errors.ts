import { AuthError, GatehouseError, ProtocolError, TooLargeError, UnmaskableResponseError, UpstreamError } from '../../core/errors.js'
import type { Decision } from '../../core/events/index.js'
import { encodeErrorResponse, type ErrorFields } from './messages/error-response.js'

/**
 * Everything a Postgres client is ever told about a failure, built here and only here (DESIGN.md, "What
 * callers see when gatehouse says no"). Messages never carry a token, password or upstream secret.
 * @see https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export const SQLSTATE = {
  INVALID_AUTHORIZATION: '28000',
  INVALID_PASSWORD: '28P01',
  INVALID_CATALOG_NAME: '3D000',
  INSUFFICIENT_PRIVILEGE: '42501',
  PROTOCOL_VIOLATION: '08P01',
  CONNECTION_FAILURE: '08006',
  FEATURE_NOT_SUPPORTED: '0A000',
  ADMIN_SHUTDOWN: '57P01',
  CANNOT_CONNECT_NOW: '57P03',
  INTERNAL_ERROR: 'XX000'
} as const

const fatal = (code: string, message: string, hint?: string): ErrorFields =>
  ({ severity: 'FATAL', code, message, ...(hint !== undefined ? { hint } : {}) })

export const pgError = {
  authFailed: (user: string, reason: string): ErrorFields =>
    fatal(SQLSTATE.INVALID_PASSWORD, `password authentication failed for user "${user}": ${reason}`, 'Use a current OIDC token or API key as the password.'),
  tlsRequired: (): ErrorFields =>
    fatal(SQLSTATE.INVALID_AUTHORIZATION, 'gatehouse accepts token passwords only over TLS', 'Connect with sslmode=require.'),
  unknownDatabase: (name: string): ErrorFields =>
    fatal(SQLSTATE.INVALID_CATALOG_NAME, `database "${name}" does not exist`, 'The database name selects a gatehouse target; ask your administrator for the target names.'),
  handshakeTimeout: (ms: number): ErrorFields =>
    fatal(SQLSTATE.CONNECTION_FAILURE, `canceling authentication due to timeout: start-up not finished within ${ms} ms`),
  tokenExpired: (): ErrorFields =>
    fatal(SQLSTATE.INVALID_AUTHORIZATION, 'terminating connection because the token expired', 'Reconnect with a fresh token.'),
  unsupportedProtocol: (version: number): ErrorFields =>
    fatal(SQLSTATE.FEATURE_NOT_SUPPORTED, `unsupported frontend protocol ${version >>> 16}.${version & 0xffff}: gatehouse supports 3.0`),
  replicationRefused: (): ErrorFields =>
    fatal(SQLSTATE.INSUFFICIENT_PRIVILEGE, 'replication connections through gatehouse need a policy rule that allows them'),
  startupParameterRefused: (name: string): ErrorFields =>
    fatal(SQLSTATE.INSUFFICIENT_PRIVILEGE, `startup parameter "${name}" is not allowed through gatehouse`, 'Change roles with SET ROLE, which policy decides.'),
  protocolViolation: (what: string): ErrorFields => fatal(SQLSTATE.PROTOCOL_VIOLATION, what),
  upstreamUnavailable: (target: string, why: string): ErrorFields =>
    fatal(SQLSTATE.CONNECTION_FAILURE, `cannot connect to target "${target}": ${why}`),
  upstreamLost: (target: string): ErrorFields =>
    fatal(SQLSTATE.CONNECTION_FAILURE, `the connection to target "${target}" was lost`),
  shuttingDown: (): ErrorFields => fatal(SQLSTATE.ADMIN_SHUTDOWN, 'terminating connection because gatehouse is shutting down'),
  notAcceptingConnections: (): ErrorFields => fatal(SQLSTATE.CANNOT_CONNECT_NOW, 'gatehouse is shutting down'),
  /** An ERROR, not FATAL: the statement is refused and the session goes on. */
  policyDenied: (d: Decision): ErrorFields => {
    const rule = d.rules[0]
    const why = d.action === 'require_approval'
      ? 'this statement needs an approval, which postgres sessions cannot wait for yet'
      : d.message ?? (rule !== undefined ? 'denied by policy' : 'no rule allows this statement; policies.default is deny')
    return {
      severity: 'ERROR',
      code: SQLSTATE.INSUFFICIENT_PRIVILEGE,
      message: rule !== undefined ? `${why} (rule ${rule})` : why,
      detail: `gatehouse policy revision ${d.policyRevision}`
    }
  },
  /** An allowed statement whose output gatehouse could not mask: refused like a denial, naming the mask rules. */
  unmaskable: (reason: string, d: Decision): ErrorFields => ({
    severity: 'ERROR',
    code: SQLSTATE.FEATURE_NOT_SUPPORTED,
    message: `${reason} (masked by rule ${d.masks.map((m) => m.rule).join(', ')})`,
    detail: `gatehouse policy revision ${d.policyRevision}`
  }),
  /** A gatehouse error as the client sees it; anything unexpected becomes a generic error naming the connection id. */
  fromError: (err: unknown, connectionId: string): ErrorFields => {
    if (err instanceof ProtocolError || err instanceof TooLargeError) return fatal(SQLSTATE.PROTOCOL_VIOLATION, err.message)
    if (err instanceof AuthError) return fatal(SQLSTATE.INVALID_PASSWORD, err.message)
    if (err instanceof UpstreamError) return fatal(SQLSTATE.CONNECTION_FAILURE, err.message)
    // Mid-result the reply cannot be finished masked: the session ends rather than relay it.
    if (err instanceof UnmaskableResponseError) return fatal(SQLSTATE.FEATURE_NOT_SUPPORTED, err.message)
    const code = err instanceof GatehouseError ? ` (${err.code})` : ''
    return fatal(SQLSTATE.INTERNAL_ERROR, `internal gatehouse error${code}; connection ${connectionId}`)
  }
}

/** The ErrorResponse bytes for a client. */
export const errorBytes = (f: ErrorFields): Buffer => encodeErrorResponse(f)
