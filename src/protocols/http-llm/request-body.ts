import type { IncomingMessage } from 'node:http'
import { TooLargeError } from '../../core/errors.js'

/** Reads the whole request body, refusing (before buffering it) one over maxBytes. */
export async function readRequestBody (req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  const tooLarge = () => new TooLargeError(`request body larger than this target's limit of ${maxBytes} bytes`)
  if (declared > maxBytes) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)
}
