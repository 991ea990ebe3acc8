import { createRemoteJWKSet, customFetch, errors, type FetchImplementation, type JWTVerifyGetKey, type RemoteJWKSet } from 'jose'
import type { OidcIssuerConfig } from '../config/index.js'
import type { Logger } from '../log/index.js'
import { AuthError } from '../errors.js'
import { issuerSpellings, type TrustedIssuer } from './trusted-issuer.js'

/** Accepted when an issuer's list is empty: the config loader's default (docs/configuration.md). HS* never is. */
export const DEFAULT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA']
/** After discovery fails, callers get "issuer keys unavailable" at once for this long instead of each hitting the IdP. */
export const DISCOVERY_RETRY_MS = 10_000
const DISCOVERY_TIMEOUT_MS = 5_000
/** Default minimum time between two JWKS fetches triggered by unknown key ids (jose's cooldown). */
export const JWKS_COOLDOWN_MS = 30_000

/** The fetch used for discovery and JWKS; tests pass their own. */
export type Fetch = typeof globalThis.fetch

export interface OidcIssuerOptions {
  log: Logger
  fetch: Fetch
  jwksCooldownMs: number
}

/** Key errors jose itself interprets; anything else from the key set means the IdP could not be read. */
const KEY_SELECTION_CODES = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JOSE_NOT_SUPPORTED'])

/**
 * An OIDC issuer whose JWKS location is discovered on first use (so start-up does not depend on the IdP
 * being up) and whose keys jose caches, refetching on an unknown `kid` at most once per cooldown.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
export function createOidcIssuer (cfg: OidcIssuerConfig, opts: OidcIssuerOptions): TrustedIssuer {
  const log = opts.log.child({ issuer: cfg.issuer })
  let keySet: RemoteJWKSet | undefined
  let pending: Promise<RemoteJWKSet> | undefined
  let failedAt = -Infinity

  const loadKeySet = async (): Promise<RemoteJWKSet> => {
    const jwksUri = cfg.jwksUri ?? await discoverJwksUri(cfg.issuer, opts.fetch)
    keySet = createRemoteJWKSet(new URL(jwksUri), {
      cooldownDuration: opts.jwksCooldownMs,
      [customFetch]: opts.fetch satisfies FetchImplementation
    })
    log.info({ jwksUri }, 'identity: issuer keys located')
    return keySet
  }

  const getKeySet = async (): Promise<RemoteJWKSet> => {
    if (keySet !== undefined) return keySet
    if (Date.now() - failedAt < DISCOVERY_RETRY_MS) throw new AuthError('issuer keys unavailable')
    pending ??= loadKeySet().catch((err: unknown) => {
      failedAt = Date.now()
      pending = undefined
      log.error({ err: (err as Error).message }, 'identity: OIDC discovery failed')
      throw new AuthError('issuer keys unavailable', { cause: err })
    })
    return pending
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    const set = await getKeySet()
    try {
      return await set(header, token)
    } catch (err) {
      if (err instanceof errors.JOSEError && KEY_SELECTION_CODES.has(err.code)) throw err
      log.error({ err: (err as Error).message }, 'identity: fetching the issuer JWKS failed')
      throw new AuthError('issuer keys unavailable', { cause: err })
    }
  }

  return {
    issuers: issuerSpellings(cfg.issuer),
    audience: cfg.audience,
    algorithms: cfg.algorithms.length > 0 ? cfg.algorithms : DEFAULT_ALGORITHMS,
    groupsClaim: cfg.groupsClaim,
    clockToleranceS: cfg.clockToleranceS,
    via: 'oidc',
    getKey
  }
}

async function discoverJwksUri (issuer: string, fetch: Fetch): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
  const res = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), headers: { accept: 'application/json' } })
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`)
  const doc = await res.json() as { issuer?: unknown; jwks_uri?: unknown }
  // Discovery 4.3: the document must name the issuer it was fetched for, or its keys are not that issuer's.
  if (typeof doc.issuer !== 'string' || !issuerSpellings(issuer).includes(doc.issuer)) {
    throw new Error(`${url} names issuer ${JSON.stringify(doc.issuer)}`)
  }
  if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri`)
  return new URL(doc.jwks_uri).href
}
