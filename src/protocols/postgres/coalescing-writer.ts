import type { Writable } from 'node:stream'

/**
 * Collects the bytes one batch of frames sends to a socket and writes them once. Frames relayed as they
 * came are views of the same received chunk, so consecutive ones merge back into a single view: a chunk
 * of a thousand DataRows leaves as one write, without copying.
 */
export class CoalescingWriter {
  readonly #parts: Buffer[] = []

  get isEmpty (): boolean { return this.#parts.length === 0 }

  push (bytes: Buffer): void {
    const last = this.#parts[this.#parts.length - 1]
    if (last !== undefined && last.buffer === bytes.buffer && last.byteOffset + last.length === bytes.byteOffset) {
      this.#parts[this.#parts.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + bytes.length)
    } else {
      this.#parts.push(bytes)
    }
  }

  /** Writes what was collected; false when the socket asks us to wait for 'drain'. */
  flushTo (socket: Writable): boolean {
    if (this.#parts.length === 0) return true
    const data = this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts)
    this.#parts.length = 0
    return socket.write(data)
  }

  clear (): void { this.#parts.length = 0 }
}
