import type { IncomingMessage } from 'node:http'
import { TooLargeError } from '../../core/errors.js'

/**
 * Reads the whole request body, refusing (before buffering it) one over maxBytes. Plain 'data'/'end'
 * listeners: an async iterator per request costs more than the rest of the read.
 */
export function readRequestBody (req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new TooLargeError(`request body larger than this target's limit of ${maxBytes} bytes`)
  if (Number(req.headers['content-length'] ?? NaN) > maxBytes) return Promise.reject(tooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) { cleanup(); req.pause(); reject(tooLarge()); return }
      chunks.push(chunk)
    }
    const onEnd = () => { cleanup(); resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)) }
    const onError = (err: Error) => { cleanup(); reject(err) }
    const onClose = () => { if (!req.complete) onError(new Error('the client closed the connection before sending its whole body')) }
    const cleanup = () => { req.off('data', onData); req.off('end', onEnd); req.off('error', onError); req.off('close', onClose) }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}
