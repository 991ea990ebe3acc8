import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { UpstreamError } from '../../../core/errors.js'

const pbkdf2Async = promisify(pbkdf2)
const NONCE_BYTES = 18
const KEY_BYTES = 32
/** gs2 header for "client does not support channel binding". */
const GS2_HEADER = 'n,,'

export const SCRAM_SHA_256 = 'SCRAM-SHA-256'

/**
 * The client side of SCRAM-SHA-256, as the upstream leg uses it with the target's injected password.
 * @see https://www.rfc-editor.org/rfc/rfc5802#section-3
 * @see https://www.postgresql.org/docs/current/sasl-authentication.html#SASL-SCRAM-SHA-256
 */
export class ScramSha256Client {
  readonly #password: string
  readonly #nonce: string
  readonly #user: string
  #authMessage = ''
  #serverSignature: Buffer | undefined

  /**
   * PostgreSQL ignores the SCRAM user name (it uses the startup user), hence '*'; `user` and `nonce` are
   * parameters so the RFC 7677 example can be replayed.
   */
  constructor (password: string, opts: { nonce?: string; user?: string } = {}) {
    // SASLprep is approximated by NFKC; for ASCII passwords (the usual case) both are the identity.
    this.#password = password.normalize('NFKC')
    this.#nonce = opts.nonce ?? randomBytes(NONCE_BYTES).toString('base64')
    this.#user = opts.user ?? '*'
  }

  /** client-first-message. */
  clientFirst (): string {
    return `${GS2_HEADER}${this.#clientFirstBare()}`
  }

  #clientFirstBare (): string { return `n=${this.#user},r=${this.#nonce}` }

  /** client-final-message for the server-first-message, with the proof. */
  async clientFinal (serverFirst: string): Promise<string> {
    const attrs = parseAttributes(serverFirst)
    const nonce = attrs.get('r')
    const salt = attrs.get('s')
    const iterations = Number(attrs.get('i'))
    if (nonce === undefined || !nonce.startsWith(this.#nonce) || nonce.length === this.#nonce.length) throw new UpstreamError('SCRAM: server nonce does not extend ours')
    if (salt === undefined || salt === '') throw new UpstreamError('SCRAM: server sent no salt')
    if (!Number.isInteger(iterations) || iterations < 1) throw new UpstreamError('SCRAM: invalid iteration count')
    const salted = await pbkdf2Async(this.#password, Buffer.from(salt, 'base64'), iterations, KEY_BYTES, 'sha256')
    const clientKey = hmac(salted, 'Client Key')
    const storedKey = createHash('sha256').update(clientKey).digest()
    const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`
    this.#authMessage = `${this.#clientFirstBare()},${serverFirst},${withoutProof}`
    const signature = hmac(storedKey, this.#authMessage)
    const proof = Buffer.alloc(KEY_BYTES)
    for (let i = 0; i < KEY_BYTES; i++) proof[i] = clientKey[i] ^ signature[i]
    this.#serverSignature = hmac(hmac(salted, 'Server Key'), this.#authMessage)
    return `${withoutProof},p=${proof.toString('base64')}`
  }

  /** Checks the server-final-message: the server proves it knew the password too. */
  verifyServerFinal (serverFinal: string): void {
    const attrs = parseAttributes(serverFinal)
    const error = attrs.get('e')
    if (error !== undefined) throw new UpstreamError(`SCRAM: server refused the proof (${error})`)
    const v = attrs.get('v')
    if (v === undefined || this.#serverSignature === undefined) throw new UpstreamError('SCRAM: server-final-message without a signature')
    const got = Buffer.from(v, 'base64')
    if (got.length !== KEY_BYTES || !timingSafeEqual(got, this.#serverSignature)) throw new UpstreamError('SCRAM: server signature does not match')
  }
}

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest()

function parseAttributes (msg: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of msg.split(',')) {
    const eq = part.indexOf('=')
    if (eq === 1) out.set(part[0], part.slice(2))
  }
  return out
}
