import type { Identity } from '../events/index.js'

/** Verifies a bearer credential (OIDC JWT, dev-issuer JWT or API key). Throws AuthError with a safe message. */
export interface IdentityVerifier {
  verify (credential: string): Promise<Identity>
  close? (): Promise<void>
}
