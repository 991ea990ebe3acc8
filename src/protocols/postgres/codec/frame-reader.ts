import { ProtocolError, TooLargeError } from '../../../core/errors.js'
import { STARTUP_FRAME, type Frame } from './frame.js'

/** Default largest message accepted from a client, when config does not say. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024
/** PostgreSQL's own cap on a startup packet (MAX_STARTUP_PACKET_LENGTH in pqcomm.h). */
export const MAX_STARTUP_PACKET_BYTES = 10_000
/** Smallest startup packet: length and a request code. */
const MIN_STARTUP_PACKET_BYTES = 8
const TYPED_HEADER_BYTES = 5

/**
 * One piece of the stream: a whole frame, or the head and then the body pieces of a large frame that is
 * relayed as it arrives instead of being buffered whole.
 */
export type FramePart =
  | { kind: 'frame'; frame: Frame }
  | { kind: 'head'; code: number; bytes: Buffer }
  | { kind: 'body'; bytes: Buffer; isLast: boolean }

/**
 * Cuts a byte stream into frames without I/O. Lengths are checked when the header arrives, before the
 * body is buffered, so a peer cannot make us hold more than `maxMessageBytes`. A frame that arrived in one
 * chunk is a view of that chunk (no copy); a frame split across chunks is copied once.
 */
export class FrameReader {
  readonly #from: 'client' | 'server'
  readonly #maxMessageBytes: number
  #chunks: Buffer[] = []
  #buffered = 0
  /** Body bytes of a streamed frame still to come. */
  #streamLeft = 0

  constructor (from: 'client' | 'server', maxMessageBytes = MAX_MESSAGE_BYTES) {
    this.#from = from
    this.#maxMessageBytes = maxMessageBytes
  }

  /** Bytes received and not yet returned as frames. */
  get buffered (): number { return this.#buffered }

  push (chunk: Buffer): void {
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
  }

  /** Takes everything still buffered (for handing a stream over to another reader). */
  drain (): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks)
    this.#chunks = []
    this.#buffered = 0
    return all
  }

  /**
   * The next complete frame, or undefined until more bytes arrive. `untyped` reads a startup-family packet
   * (int32 length first, no type byte): only the first message of a connection has that shape.
   */
  next (untyped = false): Frame | undefined {
    const headerBytes = untyped ? 4 : TYPED_HEADER_BYTES
    if (this.#buffered < headerBytes) return undefined
    const header = this.#peek(headerBytes)
    const length = untyped ? header.readInt32BE(0) : header.readInt32BE(1)
    if (untyped) {
      if (length < MIN_STARTUP_PACKET_BYTES || length > MAX_STARTUP_PACKET_BYTES) throw new ProtocolError(`invalid startup packet length ${length}`)
    } else {
      if (length < 4) throw new ProtocolError(`invalid message length ${length}`)
      if (length > this.#maxMessageBytes) throw new TooLargeError(`message of ${length} bytes exceeds the ${this.#maxMessageBytes}-byte limit`)
    }
    const total = untyped ? length : length + 1
    if (this.#buffered < total) return undefined
    const raw = this.#take(total)
    return {
      code: untyped ? STARTUP_FRAME : raw[0],
      raw,
      body: raw.subarray(headerBytes),
      from: this.#from
    }
  }

  /**
   * Like next(), except that a frame whose code is in `streamCodes` and whose length is over
   * `streamOverBytes` comes out as a head and body pieces as its bytes arrive, never buffered whole.
   */
  nextPart (streamCodes: ReadonlySet<number>, streamOverBytes: number): FramePart | undefined {
    if (this.#streamLeft > 0) {
      if (this.#buffered === 0) return undefined
      const bytes = this.#take(Math.min(this.#streamLeft, this.#chunks[0].length))
      this.#streamLeft -= bytes.length
      return { kind: 'body', bytes, isLast: this.#streamLeft === 0 }
    }
    if (this.#buffered >= TYPED_HEADER_BYTES) {
      const header = this.#peek(TYPED_HEADER_BYTES)
      const total = header.readInt32BE(1) + 1
      if (streamCodes.has(header[0]) && total > streamOverBytes && total > this.#buffered && total - 1 <= this.#maxMessageBytes) {
        const bytes = this.#take(Math.max(TYPED_HEADER_BYTES, Math.min(total, this.#chunks[0].length)))
        this.#streamLeft = total - bytes.length
        return { kind: 'head', code: header[0], bytes }
      }
    }
    const frame = this.next()
    return frame === undefined ? undefined : { kind: 'frame', frame }
  }

  #peek (n: number): Buffer {
    const first = this.#chunks[0]
    if (first.length >= n) return first
    return Buffer.concat(this.#chunks, n)
  }

  #take (n: number): Buffer {
    this.#buffered -= n
    const first = this.#chunks[0]
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = Buffer.allocUnsafe(n)
    let pos = 0
    while (pos < n) {
      const c = this.#chunks[0]
      const want = n - pos
      if (c.length <= want) {
        c.copy(out, pos)
        pos += c.length
        this.#chunks.shift()
      } else {
        c.copy(out, pos, 0, want)
        pos += want
        this.#chunks[0] = c.subarray(want)
      }
    }
    return out
  }
}
