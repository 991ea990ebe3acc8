import { mkdir, readFile, writeFile, link, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, SignJWT, type JSONWebKeySet, type JWK } from 'jose'
import { ConfigError } from '../errors.js'
import type { TrustedIssuer } from './trusted-issuer.js'

/** `iss` of every dev token. Not a URL: nothing outside gatehouse can mistake it for a real IdP. */
export const DEV_ISSUER = 'gatehouse-dev'
/** `aud` of every dev token. */
export const DEV_AUDIENCE = 'gatehouse'
export const DEV_GROUPS_CLAIM = 'groups'
const DEV_ALGORITHM = 'EdDSA'
const KEY_DIR = 'dev-issuer'
const KEY_FILE = 'signing-key.jwk.json'
const DEV_CLOCK_TOLERANCE_S = 30

interface DevKey { privateJwk: JWK; publicJwk: JWK }

/**
 * The dev issuer's Ed25519 key, created on first use in `${dataDir}/dev-issuer/` (file mode 0600) and
 * reused after. Two processes starting together (gatehouse start, gatehouse token) agree on one key: the
 * file appears atomically through link(2), which fails for the loser, who then reads the winner's key.
 */
async function loadOrCreateKey (dataDir: string): Promise<DevKey> {
  const dir = join(dataDir, KEY_DIR)
  const file = join(dir, KEY_FILE)
  const existing = await readKeyFile(file)
  if (existing !== undefined) return existing
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const { privateKey } = await generateKeyPair(DEV_ALGORITHM, { crv: 'Ed25519', extractable: true })
  const jwk = await exportJWK(privateKey)
  jwk.kid = await calculateJwkThumbprint(jwk)
  jwk.alg = DEV_ALGORITHM
  jwk.use = 'sig'
  const tmp = join(dir, `.${KEY_FILE}.${randomUUID()}`)
  await writeFile(tmp, `${JSON.stringify(jwk)}\n`, { mode: 0o600, flag: 'wx' })
  try {
    await link(tmp, file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  } finally {
    await rm(tmp, { force: true })
  }
  const created = await readKeyFile(file)
  if (created === undefined) throw new ConfigError([`${file}: dev issuer key vanished while being created`])
  return created
}

async function readKeyFile (file: string): Promise<DevKey | undefined> {
  let text
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let jwk: JWK
  try {
    jwk = JSON.parse(text) as JWK
  } catch {
    jwk = {}
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string' || typeof jwk.kid !== 'string') {
    throw new ConfigError([`${file}: not a dev issuer key (delete the file to create a new one)`])
  }
  const { d: _d, ...publicJwk } = jwk
  return { privateJwk: jwk, publicJwk }
}

/** The dev issuer's public keys as a JWKS document (the admin API serves it). */
export async function devIssuerJwks (dataDir: string): Promise<JSONWebKeySet> {
  const { publicJwk } = await loadOrCreateKey(dataDir)
  return { keys: [publicJwk] }
}

export interface DevTokenRequest {
  dataDir: string
  sub: string
  groups: string[]
  email?: string
  /** Lifetime in seconds. */
  ttlS: number
}

/** Signs a token from the dev issuer; verified by the same path as any OIDC token. */
export async function mintDevToken (req: DevTokenRequest): Promise<string> {
  const { privateJwk } = await loadOrCreateKey(req.dataDir)
  const key = await importJWK(privateJwk, DEV_ALGORITHM)
  const claims: Record<string, unknown> = { groups: req.groups }
  if (req.email !== undefined) claims.email = req.email
  return new SignJWT(claims)
    .setProtectedHeader({ alg: DEV_ALGORITHM, kid: privateJwk.kid, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject(req.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + req.ttlS)
    .setJti(randomUUID())
    .sign(key)
}

/** The dev issuer as a trusted issuer backed by a local JWKS (no network). */
export async function createDevIssuer (dataDir: string): Promise<TrustedIssuer> {
  return {
    issuers: [DEV_ISSUER],
    audience: DEV_AUDIENCE,
    algorithms: [DEV_ALGORITHM],
    groupsClaim: DEV_GROUPS_CLAIM,
    clockToleranceS: DEV_CLOCK_TOLERANCE_S,
    via: 'dev',
    getKey: createLocalJWKSet(await devIssuerJwks(dataDir))
  }
}
