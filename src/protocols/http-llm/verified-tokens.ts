import type { Identity } from '../../core/events/index.js'
import type { IdentityVerifier } from '../../core/identity/index.js'

/** How long a verified token is trusted without verifying its signature again. */
export const VERIFIED_TOKEN_TTL_MS = 30_000
/** Tokens remembered at most; the oldest is forgotten first. */
export const MAX_VERIFIED_TOKENS = 10_000

/**
 * Remembers verified tokens for a short while: an SDK sends the same token with every request, and a
 * signature check per request is the largest cost on the LLM path. A token is never trusted past its
 * own expiry; failures are not remembered.
 */
export class VerifiedTokens {
  readonly #verifier: IdentityVerifier
  readonly #clock: () => number
  readonly #known = new Map<string, { identity: Identity; untilMs: number }>()

  constructor (verifier: IdentityVerifier, clock: () => number = Date.now) {
    this.#verifier = verifier
    this.#clock = clock
  }

  async verify (token: string): Promise<Identity> {
    const now = this.#clock()
    const hit = this.#known.get(token)
    if (hit !== undefined && hit.untilMs > now) return hit.identity
    if (hit !== undefined) this.#known.delete(token)
    const identity = await this.#verifier.verify(token)
    const untilMs = Math.min(now + VERIFIED_TOKEN_TTL_MS, identity.expiresAt === undefined ? Infinity : identity.expiresAt * 1000)
    if (this.#known.size >= MAX_VERIFIED_TOKENS) this.#known.delete(this.#known.keys().next().value as string)
    this.#known.set(token, { identity, untilMs })
    return identity
  }
}
