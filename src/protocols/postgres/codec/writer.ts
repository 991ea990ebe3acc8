/** Builds one message; `frame(code)` prepends the type byte and length. */
export class Writer {
  readonly #parts: Buffer[] = []
  #length = 0

  #push (b: Buffer): this {
    this.#parts.push(b)
    this.#length += b.length
    return this
  }

  byte (v: number): this {
    const b = Buffer.allocUnsafe(1)
    b[0] = v
    return this.#push(b)
  }

  int16 (v: number): this {
    const b = Buffer.allocUnsafe(2)
    b.writeInt16BE(v)
    return this.#push(b)
  }

  int32 (v: number): this {
    const b = Buffer.allocUnsafe(4)
    b.writeInt32BE(v)
    return this.#push(b)
  }

  cstring (s: string): this {
    return this.#push(Buffer.from(`${s}\0`, 'utf8'))
  }

  bytes (b: Buffer): this {
    return this.#push(b)
  }

  /** A typed message: code, int32 length (including itself), body. */
  frame (code: number): Buffer {
    const out = Buffer.allocUnsafe(5 + this.#length)
    out[0] = code
    out.writeInt32BE(4 + this.#length, 1)
    let pos = 5
    for (const p of this.#parts) pos += p.copy(out, pos)
    return out
  }

  /** A startup-family packet: int32 length, body (no type byte). */
  untypedFrame (): Buffer {
    const out = Buffer.allocUnsafe(4 + this.#length)
    out.writeInt32BE(4 + this.#length, 0)
    let pos = 4
    for (const p of this.#parts) pos += p.copy(out, pos)
    return out
  }
}
