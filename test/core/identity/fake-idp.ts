import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

export interface IdpKey { kid: string; alg: string; privateKey: CryptoKey; publicJwk: JWK }

/** A local OIDC provider: discovery + JWKS over node:http on port 0, keys made by jose. */
export interface FakeIdp {
  issuer: string
  /** Keys currently published in the JWKS (rotate by pushing or replacing). */
  published: IdpKey[]
  jwksFetches: number
  discoveryFetches: number
  newKey (alg?: string, kid?: string): Promise<IdpKey>
  sign (claims: JWTPayload, opts?: { key?: IdpKey; header?: Record<string, unknown> }): Promise<string>
  close (): Promise<void>
}

export async function startFakeIdp (): Promise<FakeIdp> {
  let kidSeq = 0
  const idp: FakeIdp = {
    issuer: '',
    published: [],
    jwksFetches: 0,
    discoveryFetches: 0,
    async newKey (alg = 'RS256', kid = `key-${++kidSeq}`) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
      const publicJwk = { ...await exportJWK(publicKey), kid, alg, use: 'sig' }
      return { kid, alg, privateKey, publicJwk }
    },
    async sign (claims, opts = {}) {
      const key = opts.key ?? idp.published[0]
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ iss: idp.issuer, aud: 'gatehouse', sub: 'alice', iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, ...opts.header })
        .sign(key.privateKey)
    },
    close: async () => { await new Promise((resolve) => server.close(resolve)) }
  }
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      idp.discoveryFetches++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ issuer: idp.issuer, jwks_uri: `${idp.issuer}/jwks` }))
    } else if (req.url === '/jwks') {
      idp.jwksFetches++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys: idp.published.map((k) => k.publicJwk) }))
    } else {
      res.statusCode = 404
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  idp.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  idp.published.push(await idp.newKey())
  return idp
}
