import type { Writable } from 'node:stream'

/**
 * Collects the bytes one batch of frames sends to a socket and writes them once. Frames relayed as they
 * came are views of the same received chunk, so consecutive ones merge back into a single view: a chunk
 * of a thousand DataRows leaves as one write, without copying.
 */
export class CoalescingWriter {
  readonly #parts: Buffer[] = []
  /** Bytes that directly follow the last part in the same memory, merged into it when it is needed. */
  #lastExtension = 0

  get isEmpty (): boolean { return this.#parts.length === 0 }

  push (bytes: Buffer): void {
    const n = this.#parts.length
    if (n > 0) {
      const last = this.#parts[n - 1]
      // Extending a counter instead of making a new view per frame: one view per run, made at flush.
      if (last.buffer === bytes.buffer && last.byteOffset + last.length + this.#lastExtension === bytes.byteOffset) {
        this.#lastExtension += bytes.length
        return
      }
      this.#settleLast()
    }
    this.#parts.push(bytes)
  }

  /** Writes what was collected; false when the socket asks us to wait for 'drain'. */
  flushTo (socket: Writable): boolean {
    if (this.#parts.length === 0) return true
    this.#settleLast()
    const data = this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts)
    this.#parts.length = 0
    return socket.write(data)
  }

  clear (): void {
    this.#parts.length = 0
    this.#lastExtension = 0
  }

  #settleLast (): void {
    if (this.#lastExtension === 0) return
    const i = this.#parts.length - 1
    const last = this.#parts[i]
    this.#parts[i] = Buffer.from(last.buffer, last.byteOffset, last.length + this.#lastExtension)
    this.#lastExtension = 0
  }
}
