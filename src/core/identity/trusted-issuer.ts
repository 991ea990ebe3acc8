import { jwtVerify, type JWTVerifyGetKey } from 'jose'
import type { Identity } from '../events/index.js'
import { AuthError } from '../errors.js'
import { readGroups } from './claim-path.js'
import { toAuthError } from './auth-failure.js'

/** One issuer whose tokens gatehouse accepts, with how to verify them. OIDC and the dev issuer share it. */
export interface TrustedIssuer {
  /** Every spelling of `iss` this issuer may use (with and without a trailing slash). */
  issuers: string[]
  audience: string
  algorithms: string[]
  groupsClaim: string
  clockToleranceS: number
  via: Identity['via']
  getKey: JWTVerifyGetKey
}

/**
 * Verifies signature, algorithm, issuer, audience, exp and nbf in one jose call, then maps the claims.
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.2
 */
export async function verifyWithIssuer (token: string, trusted: TrustedIssuer): Promise<Identity> {
  let payload
  try {
    ({ payload } = await jwtVerify(token, trusted.getKey, {
      issuer: trusted.issuers,
      audience: trusted.audience,
      algorithms: trusted.algorithms,
      clockTolerance: trusted.clockToleranceS,
      requiredClaims: ['sub', 'exp']
    }))
  } catch (err) {
    throw toAuthError(err)
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthError('token has no subject')
  const identity: Identity = {
    sub: payload.sub,
    iss: payload.iss as string,
    groups: readGroups(payload, trusted.groupsClaim),
    via: trusted.via,
    expiresAt: payload.exp
  }
  if (typeof payload.email === 'string') identity.email = payload.email
  return identity
}

/** Both spellings of an issuer: IdPs differ on the trailing slash and configs copy it either way. */
export function issuerSpellings (issuer: string): string[] {
  const bare = issuer.replace(/\/+$/, '')
  return bare === issuer ? [issuer, `${issuer}/`] : [bare, issuer]
}
