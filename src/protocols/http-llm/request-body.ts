import type { IncomingMessage } from 'node:http'
import { TooLargeError } from '../../core/errors.js'

/** One body being read: its chunks so far and how the read ends. */
interface BodyRead {
  readonly maxBytes: number
  readonly chunks: Buffer[]
  size: number
  resolve (body: Buffer): void
  reject (err: Error): void
}

const kBodyRead = Symbol('gatehouse.bodyRead')
type ReadingRequest = IncomingMessage & { [kBodyRead]?: BodyRead }

const tooLarge = (maxBytes: number) => new TooLargeError(`request body larger than this target's limit of ${maxBytes} bytes`)

/**
 * Reads the whole request body, refusing (before buffering it) one over maxBytes. Plain 'data'/'end'
 * listeners: an async iterator per request costs more than the rest of the read. The listeners are shared
 * module functions that find their read on the request (`this`): closures per request cost more still
 * under tsx, which names each one with Object.defineProperty.
 */
export function readRequestBody (req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? NaN) > maxBytes) return Promise.reject(tooLarge(maxBytes))
  return new Promise((resolve, reject) => {
    (req as ReadingRequest)[kBodyRead] = { maxBytes, chunks: [], size: 0, resolve, reject }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

function onData (this: ReadingRequest, chunk: Buffer): void {
  const read = this[kBodyRead]
  if (read === undefined) return
  read.size += chunk.length
  if (read.size > read.maxBytes) {
    finish(this).reject(tooLarge(read.maxBytes))
    this.pause()
    return
  }
  read.chunks.push(chunk)
}

function onEnd (this: ReadingRequest): void {
  const read = this[kBodyRead]
  if (read === undefined) return
  finish(this).resolve(read.chunks.length === 1 ? read.chunks[0] : Buffer.concat(read.chunks, read.size))
}

function onError (this: ReadingRequest, err: Error): void {
  if (this[kBodyRead] !== undefined) finish(this).reject(err)
}

function onClose (this: ReadingRequest): void {
  if (!this.complete) onError.call(this, new Error('the client closed the connection before sending its whole body'))
}

/** Detaches the listeners and returns the read they served. */
function finish (req: ReadingRequest): BodyRead {
  const read = req[kBodyRead]!
  req[kBodyRead] = undefined
  req.off('data', onData)
  req.off('end', onEnd)
  req.off('error', onError)
  req.off('close', onClose)
  return read
}
