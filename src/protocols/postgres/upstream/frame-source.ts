import type { Duplex } from 'node:stream'
import { UpstreamError } from '../../../core/errors.js'
import { FrameReader, type Frame } from '../codec/index.js'

/**
 * Awaitable frames from a socket, for strictly sequential exchanges (the upstream handshake, catalog queries). `release()` hands the
 * socket back with whatever arrived after the last frame taken, for the relay to continue from.
 */
export class FrameSource {
  readonly #socket: Duplex
  readonly #reader: FrameReader
  #waiter: (() => void) | undefined
  #failure: Error | undefined
  readonly #onData = (chunk: Buffer): void => { this.#reader.push(chunk); this.#wake() }
  readonly #onEnd = (): void => { this.#fail(new UpstreamError('upstream closed the connection')) }
  readonly #onError = (err: Error): void => { this.#fail(new UpstreamError(`upstream connection failed: ${err.message}`, { cause: err })) }

  /** `buffered`: bytes already read from the socket by a previous owner. */
  constructor (socket: Duplex, maxMessageBytes: number, buffered?: Buffer) {
    this.#socket = socket
    this.#reader = new FrameReader('server', maxMessageBytes)
    if (buffered !== undefined && buffered.length > 0) this.#reader.push(buffered)
    socket.on('data', this.#onData)
    socket.on('end', this.#onEnd)
    socket.on('close', this.#onEnd)
    socket.on('error', this.#onError)
  }

  #wake (): void {
    const w = this.#waiter
    this.#waiter = undefined
    w?.()
  }

  #fail (err: Error): void {
    this.#failure ??= err
    this.#wake()
  }

  async next (): Promise<Frame> {
    for (;;) {
      const f = this.#reader.next()
      if (f !== undefined) return f
      if (this.#failure !== undefined) throw this.#failure
      await new Promise<void>((resolve) => { this.#waiter = resolve })
    }
  }

  /** One raw byte (the answer to SSLRequest), which is not a frame. */
  async byte (): Promise<number> {
    for (;;) {
      if (this.#reader.buffered > 0) {
        const all = this.#reader.drain()
        if (all.length > 1) throw new UpstreamError('upstream sent data after its SSLRequest answer')
        return all[0]
      }
      if (this.#failure !== undefined) throw this.#failure
      await new Promise<void>((resolve) => { this.#waiter = resolve })
    }
  }

  /** Stops listening and pauses the socket (the next owner resumes it); returns bytes not yet taken. */
  release (): Buffer {
    this.#socket.pause()
    this.#socket.off('data', this.#onData)
    this.#socket.off('end', this.#onEnd)
    this.#socket.off('close', this.#onEnd)
    this.#socket.off('error', this.#onError)
    return this.#reader.drain()
  }
}
