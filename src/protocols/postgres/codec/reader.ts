import { ProtocolError } from '../../../core/errors.js'

/** Bounded, checked reads over one message body; every read fails with ProtocolError past the end. */
export class Reader {
  readonly #buf: Buffer
  #pos = 0

  constructor (buf: Buffer) {
    this.#buf = buf
  }

  get remaining (): number { return this.#buf.length - this.#pos }

  #need (n: number, what: string): void {
    if (n < 0 || this.#pos + n > this.#buf.length) throw new ProtocolError(`message too short for ${what}`)
  }

  byte (): number {
    this.#need(1, 'a byte')
    return this.#buf[this.#pos++]
  }

  int16 (): number {
    this.#need(2, 'an int16')
    const v = this.#buf.readInt16BE(this.#pos)
    this.#pos += 2
    return v
  }

  int32 (): number {
    this.#need(4, 'an int32')
    const v = this.#buf.readInt32BE(this.#pos)
    this.#pos += 4
    return v
  }

  /** A NUL-terminated string; a missing terminator is the client's error, never a wait. */
  cstring (): string {
    const end = this.#buf.indexOf(0, this.#pos)
    if (end === -1) throw new ProtocolError('unterminated string')
    const s = this.#buf.toString('utf8', this.#pos, end)
    this.#pos = end + 1
    return s
  }

  /** n raw bytes, shared with the message (no copy). */
  bytes (n: number): Buffer {
    this.#need(n, `${n} bytes`)
    const b = this.#buf.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return b
  }

  rest (): Buffer {
    const b = this.#buf.subarray(this.#pos)
    this.#pos = this.#buf.length
    return b
  }

  /** A count field (int16) that must be non-negative. */
  count16 (what: string): number {
    const n = this.int16()
    if (n < 0) throw new ProtocolError(`negative ${what} count`)
    return n
  }

  /** Rejects bytes left over after the last field: a message means exactly what its fields say. */
  end (what: string): void {
    if (this.#pos !== this.#buf.length) throw new ProtocolError(`${what}: ${this.#buf.length - this.#pos} unexpected trailing bytes`)
  }
}
