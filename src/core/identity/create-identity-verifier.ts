import { decodeJwt, decodeProtectedHeader } from 'jose'
import type { IdentityConfig } from '../config/index.js'
import type { Identity } from '../events/index.js'
import type { Logger } from '../log/index.js'
import { AuthError, ConfigError } from '../errors.js'
import type { IdentityVerifier } from './index.js'
import { createApiKeyMatcher } from './api-keys.js'
import { createDevIssuer } from './dev-issuer.js'
import { createOidcIssuer, JWKS_COOLDOWN_MS, type Fetch } from './oidc-issuer.js'
import { verifyWithIssuer, type TrustedIssuer } from './trusted-issuer.js'

/** Longer credentials are refused before any decoding or hashing. Real ID tokens are a few KiB. */
export const MAX_CREDENTIAL_BYTES = 16 * 1024

/** Three base64url segments; the last may be empty (an unsigned `alg: none` token is still a JWT). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

export interface IdentityVerifierOptions {
  dataDir: string
  log: Logger
  /** Used for OIDC discovery and JWKS; defaults to the global fetch. */
  fetch?: Fetch
  /** Minimum time between JWKS refetches triggered by unknown key ids (default 30 s). */
  jwksCooldownMs?: number
}

/**
 * Builds the verifier for every configured way in: OIDC issuers, the dev issuer and API keys.
 * The token's own `iss` (read before anything is trusted) picks the issuer; only configured issuers are
 * ever contacted, so a token cannot make gatehouse fetch an address of its choosing.
 */
export async function createIdentityVerifier (cfg: IdentityConfig, opts: IdentityVerifierOptions): Promise<IdentityVerifier> {
  const log = opts.log
  const fetch = opts.fetch ?? globalThis.fetch
  const issuers = new Map<string, TrustedIssuer>()
  const trust = (issuer: TrustedIssuer): void => {
    for (const spelling of issuer.issuers) {
      if (issuers.has(spelling)) throw new ConfigError([`identity.oidc: issuer ${spelling} is configured twice`])
      issuers.set(spelling, issuer)
    }
  }
  for (const oidc of cfg.oidc) {
    const unsafe = oidc.algorithms.filter((a) => a === 'none' || /^HS/i.test(a))
    if (unsafe.length > 0) throw new ConfigError([`identity.oidc (${oidc.issuer}): algorithms ${unsafe.join(', ')} are not accepted (asymmetric algorithms only)`])
    trust(createOidcIssuer(oidc, { log, fetch, jwksCooldownMs: opts.jwksCooldownMs ?? JWKS_COOLDOWN_MS }))
  }
  if (cfg.devIssuer) trust(await createDevIssuer(opts.dataDir))
  const matchApiKey = createApiKeyMatcher(cfg.apiKeys)

  const verifyJwt = async (token: string): Promise<Identity> => {
    let alg: unknown
    let iss: unknown
    try {
      alg = decodeProtectedHeader(token).alg
      iss = decodeJwt(token).iss
    } catch {
      throw new AuthError('malformed token')
    }
    // Refused before any key lookup: `none` carries no signature, and an HS* token "signed" with an
    // issuer's public key must never be checked against it as if it were a shared secret.
    if (typeof alg !== 'string' || alg === 'none' || /^HS/i.test(alg)) throw new AuthError('unsupported token algorithm')
    const issuer = typeof iss === 'string' ? issuers.get(iss) : undefined
    if (issuer === undefined) throw new AuthError('token issuer not trusted')
    return verifyWithIssuer(token, issuer)
  }

  return {
    async verify (credential: string): Promise<Identity> {
      if (credential === '') throw new AuthError('no credential')
      if (Buffer.byteLength(credential, 'utf8') > MAX_CREDENTIAL_BYTES) throw new AuthError('malformed token')
      try {
        if (!JWT_SHAPE.test(credential)) return matchApiKey(credential)
        try {
          return await verifyJwt(credential)
        } catch (err) {
          // An API key that happens to have two dots is not a token; a real JWT never matches a key hash.
          if (err instanceof AuthError && err.message === 'malformed token' && cfg.apiKeys.length > 0) return matchApiKey(credential)
          throw err
        }
      } catch (err) {
        log.debug({ reason: (err as Error).message }, 'identity: credential refused')
        throw err
      }
    }
  }
}
