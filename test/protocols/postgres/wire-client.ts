import { connect, type Socket } from 'node:net'
import { FrameReader, type Frame } from '../../../src/protocols/postgres/codec/index.js'

/** A raw socket to gatehouse that records everything it receives, for byte-level start-up tests. */
export class WireClient {
  readonly socket: Socket
  received = Buffer.alloc(0)
  closed: Promise<void>
  #waiters: Array<() => void> = []

  constructor (host: string, port: number) {
    this.socket = connect({ host, port })
    this.socket.on('error', () => {})
    this.socket.on('data', (c: Buffer) => {
      this.received = Buffer.concat([this.received, c])
      for (const w of this.#waiters.splice(0)) w()
    })
    this.closed = new Promise((resolve) => { this.socket.once('close', () => { for (const w of this.#waiters.splice(0)) w(); resolve() }) })
  }

  send (...bytes: Buffer[]): void { this.socket.write(Buffer.concat(bytes)) }

  /** Waits until `n` bytes arrived (or the socket closed). */
  async bytes (n: number): Promise<Buffer> {
    while (this.received.length < n && !this.socket.destroyed) await new Promise<void>((resolve) => this.#waiters.push(resolve))
    return this.received
  }

  /** Frames received so far, after skipping `skip` bytes (single-byte SSL answers). */
  frames (skip = 0): Frame[] {
    const r = new FrameReader('server')
    r.push(this.received.subarray(skip))
    const out: Frame[] = []
    for (let f = r.next(); f !== undefined; f = r.next()) out.push(f)
    return out
  }

  /** Waits for a frame with this type letter. */
  async frame (letter: string, skip = 0): Promise<Frame | undefined> {
    for (;;) {
      const f = this.frames(skip).find((x) => x.code === letter.charCodeAt(0))
      if (f !== undefined || this.socket.destroyed) return f
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }
}
