import { errors } from 'jose'
import { AuthError } from '../errors.js'

/**
 * Turns whatever jose threw into an AuthError whose message is safe to show the caller: a fixed reason,
 * never the token or jose's own text (which can quote claim values).
 */
export function toAuthError (err: unknown): AuthError {
  if (err instanceof AuthError) return err
  if (!(err instanceof errors.JOSEError)) return new AuthError('token could not be verified', { cause: err })
  return new AuthError(reasonFor(err), { cause: err })
}

function reasonFor (err: errors.JOSEError): string {
  switch (err.code) {
    case 'ERR_JWT_EXPIRED': return 'token expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': return claimReason(err as errors.JWTClaimValidationFailed)
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED': return 'unsupported token algorithm'
    case 'ERR_JWKS_NO_MATCHING_KEY': return 'signing key not found'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'token signature invalid'
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID': return 'issuer keys unavailable'
    default: return 'malformed token'
  }
}

function claimReason (err: errors.JWTClaimValidationFailed): string {
  if (err.reason === 'missing') {
    if (err.claim === 'exp') return 'token has no expiry'
    if (err.claim === 'sub') return 'token has no subject'
  }
  switch (err.claim) {
    case 'iss': return 'token issuer not trusted'
    case 'aud': return 'token audience mismatch'
    case 'nbf': return 'token not yet valid'
    default: return 'token claims invalid'
  }
}
