import type { Identity } from '../events/index.js'

/** Verifies a bearer credential (OIDC JWT, dev-issuer JWT or API key). Throws AuthError with a safe message. */
export interface IdentityVerifier {
  verify (credential: string): Promise<Identity>
  close? (): Promise<void>
}

export { createIdentityVerifier, MAX_CREDENTIAL_BYTES, type IdentityVerifierOptions } from './create-identity-verifier.js'
export { devIssuerJwks, mintDevToken, DEV_ISSUER, DEV_AUDIENCE, type DevTokenRequest } from './dev-issuer.js'
export { hashApiKey, API_KEY_ISSUER } from './api-keys.js'
export { DEFAULT_ALGORITHMS, type Fetch } from './oidc-issuer.js'
