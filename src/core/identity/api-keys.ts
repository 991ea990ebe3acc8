import { createHash, timingSafeEqual } from 'node:crypto'
import type { ApiKeyConfig } from '../config/index.js'
import type { Identity } from '../events/index.js'
import { AuthError, ConfigError } from '../errors.js'

/** `iss` of identities that presented an API key. */
export const API_KEY_ISSUER = 'gatehouse:api-key'

const SHA256_HEX = /^[0-9a-f]{64}$/i

interface StoredKey { name: string; digest: Buffer; groups: string[] }

/** Hex SHA-256 of an API key: what goes into identity.api_keys[].sha256. */
export function hashApiKey (key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/**
 * Matches a presented API key against the configured SHA-256 hashes. Every configured digest is compared
 * with timingSafeEqual over equal-length buffers, and all of them are compared, so the time taken says
 * nothing about how close a guess came or which key it resembled.
 */
export function createApiKeyMatcher (keys: ApiKeyConfig[]): (credential: string) => Identity {
  const stored: StoredKey[] = keys.map((k, i) => {
    if (!SHA256_HEX.test(k.sha256)) throw new ConfigError([`identity.api_keys[${i}] (${k.name}): sha256 must be 64 hex characters`])
    return { name: k.name, digest: Buffer.from(k.sha256, 'hex'), groups: [...k.groups] }
  })
  return (credential) => {
    const digest = createHash('sha256').update(credential, 'utf8').digest()
    let match: StoredKey | undefined
    for (const key of stored) {
      if (timingSafeEqual(digest, key.digest) && match === undefined) match = key
    }
    if (match === undefined) throw new AuthError('unknown API key')
    return { sub: match.name, iss: API_KEY_ISSUER, groups: [...match.groups], via: 'api_key' }
  }
}
