import type { ServerResponse, OutgoingHttpHeaders } from 'node:http'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { Readable } from 'node:stream'
import { UnmaskableResponseError } from '../../core/errors.js'
import { clientErrorOf } from './errors.js'
import { clientResponseHeaders } from './headers.js'
import { maskJsonStrings, type ResponseMasking } from './masking.js'
import { SseParser } from './sse-parser.js'
import type { Provider, RouteKind, Usage } from './provider.js'
import type { UpstreamResponse } from './upstream.js'

/** Upstream error bodies are small; more than this is cut (they are buffered to scrub the key). */
const MAX_ERROR_BODY_BYTES = 1024 * 1024
/** A masked JSON response is read whole before it is sent; past this it is refused. */
const MAX_MASKED_JSON_BYTES = 32 * 1024 * 1024
/** An unmasked JSON response is copied up to this size to read its usage; past it, usage is unknown. */
const MAX_USAGE_SCAN_BYTES = 8 * 1024 * 1024
const REDACTED = '[redacted]'

export interface RelayContext {
  res: ServerResponse
  provider: Provider
  kind: RouteKind
  requestId: string
  /** The target's key: scrubbed from anything the upstream echoes. */
  key?: string
  masking?: ResponseMasking
  /** gatehouse added the usage chunk to an OpenAI stream. */
  stripUsageChunk: boolean
  /** Sets x-gatehouse-overhead-ms just before the headers go out. */
  beforeHeaders (headers: OutgoingHttpHeaders): void
}

/** Relays one upstream response to the client; returns the usage it reported. */
export async function relayResponse (ctx: RelayContext, up: UpstreamResponse): Promise<Usage | undefined> {
  const contentType = String(up.headers['content-type'] ?? '')
  const body = decoded(up, ctx.masking !== undefined || up.statusCode >= 400)
  if (up.statusCode >= 400) return relayError(ctx, up, body)
  if (contentType.startsWith('text/event-stream')) return relaySse(ctx, up, body)
  if (ctx.masking !== undefined) return relayMaskedJson(ctx, up, body)
  return relayPlain(ctx, up, body, contentType.includes('json'))
}

/** The body as the upstream meant it: decoded when it came compressed and gatehouse must read it. */
function decoded (up: UpstreamResponse, mustRead: boolean): { chunks: AsyncIterable<Buffer>; rewritten: boolean } {
  const encoding = String(up.headers['content-encoding'] ?? 'identity').toLowerCase()
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined
  if (decoder !== undefined) {
    const source = Readable.from(up.body)
    source.on('error', err => decoder.destroy(err))
    return { chunks: source.pipe(decoder), rewritten: true }
  }
  if (encoding !== 'identity' && mustRead) throw new UnmaskableResponseError(`the upstream answered with content-encoding ${encoding}, which gatehouse cannot decode`)
  return { chunks: up.body, rewritten: false }
}

/** Writes with back-pressure; a client that went away ends the relay (and with it the upstream request). */
function writeChunk (res: ServerResponse, chunk: Buffer | string): Promise<void> | undefined {
  if (res.destroyed) return Promise.reject(new Error('the client closed the connection'))
  if (res.write(chunk)) return undefined
  return new Promise(resolve => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve() }
    res.on('drain', done)
    res.on('close', done)
  })
}

/**
 * Holds the client socket's writes until this event-loop turn has handled its I/O (setImmediate runs right
 * after the poll phase), so the chunks of one upstream read, and the stream's end when it came with them,
 * leave in one syscall. Nothing is held past the turn: an LLM's next chunk arrives in a later one.
 */
function corkForTurn (res: ServerResponse): void {
  if (res.writableCorked > 0 || res.socket === null) return
  res.cork()
  setImmediate(uncorkUnlessEnded, res)
}

function uncorkUnlessEnded (res: ServerResponse): void {
  // end() uncorked fully already, and the socket may since be another response's.
  if (!res.writableEnded) res.uncork()
}

async function readAll (chunks: AsyncIterable<Buffer>, max: number, onOverflow: () => void): Promise<Buffer> {
  const parts: Buffer[] = []
  let size = 0
  for await (const c of chunks) {
    size += c.length
    if (size > max) { onOverflow(); break }
    parts.push(c)
  }
  return Buffer.concat(parts)
}

function scrub (text: string, key: string | undefined): string {
  return key === undefined || key === '' ? text : text.split(key).join(REDACTED)
}

function sendWhole (ctx: RelayContext, up: UpstreamResponse, text: string): void {
  const headers = clientResponseHeaders(up.headers, true)
  headers['content-length'] = Buffer.byteLength(text)
  ctx.beforeHeaders(headers)
  ctx.res.writeHead(up.statusCode, headers)
  ctx.res.end(text)
}

/** Upstream errors keep their status and shape; the target's key is scrubbed and masks apply. */
async function relayError (ctx: RelayContext, up: UpstreamResponse, body: { chunks: AsyncIterable<Buffer> }): Promise<undefined> {
  let text = scrub((await readAll(body.chunks, MAX_ERROR_BODY_BYTES, () => undefined)).toString('utf8'), ctx.key)
  if (ctx.masking !== undefined) {
    try {
      const json: unknown = JSON.parse(text)
      maskJsonStrings(json, ctx.masking.mask)
      text = JSON.stringify(json)
    } catch {
      text = ctx.masking.mask(text)
    }
  }
  sendWhole(ctx, up, text)
  return undefined
}

async function relayMaskedJson (ctx: RelayContext, up: UpstreamResponse, body: { chunks: AsyncIterable<Buffer> }): Promise<Usage | undefined> {
  const bytes = await readAll(body.chunks, MAX_MASKED_JSON_BYTES, () => { throw new UnmaskableResponseError(`the response is larger than ${MAX_MASKED_JSON_BYTES} bytes`) })
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new UnmaskableResponseError('the upstream response is not JSON')
  }
  const usage = ctx.provider.usageFromJson(ctx.kind, json)
  maskJsonStrings(json, ctx.masking!.mask)
  sendWhole(ctx, up, JSON.stringify(json))
  return usage
}

/** Nothing to mask: bytes go out as they arrive; a JSON body is also kept (bounded) to read its usage. */
async function relayPlain (ctx: RelayContext, up: UpstreamResponse, body: { chunks: AsyncIterable<Buffer>; rewritten: boolean }, isJson: boolean): Promise<Usage | undefined> {
  const headers = clientResponseHeaders(up.headers, body.rewritten)
  ctx.beforeHeaders(headers)
  ctx.res.writeHead(up.statusCode, headers)
  const copy: Buffer[] = []
  let copied = 0
  for await (const chunk of body.chunks) {
    if (isJson && copied + chunk.length <= MAX_USAGE_SCAN_BYTES) { copy.push(chunk); copied += chunk.length }
    await writeChunk(ctx.res, chunk)
  }
  ctx.res.end()
  if (!isJson || copied === 0) return undefined
  try {
    return ctx.provider.usageFromJson(ctx.kind, JSON.parse(Buffer.concat(copy, copied).toString('utf8')))
  } catch {
    return undefined
  }
}

/**
 * Streams: piped chunk for chunk when nothing is masked or stripped (events are only watched for usage);
 * else event by event through the provider's handler. A failure mid-stream ends it with the provider's
 * error event when the client is at an event boundary, else the connection is cut.
 */
async function relaySse (ctx: RelayContext, up: UpstreamResponse, body: { chunks: AsyncIterable<Buffer>; rewritten: boolean }): Promise<Usage> {
  const handler = ctx.provider.createStreamHandler(ctx.kind, { stripUsageChunk: ctx.stripUsageChunk, masking: ctx.masking })
  const passthrough = ctx.masking === undefined && !ctx.stripUsageChunk
  const parser = new SseParser()
  const headers = clientResponseHeaders(up.headers, passthrough ? body.rewritten : true)
  ctx.beforeHeaders(headers)
  ctx.res.writeHead(up.statusCode, headers)
  try {
    for await (const chunk of body.chunks) {
      const events = parser.push(chunk)
      if (passthrough) {
        for (const ev of events) handler.onEvent(ev)
        corkForTurn(ctx.res)
        await writeChunk(ctx.res, chunk)
        continue
      }
      let out = ''
      for (const ev of events) {
        const o = handler.onEvent(ev)
        out += typeof o === 'string' ? o : o.toString('utf8')
      }
      if (out === '') continue
      corkForTurn(ctx.res)
      await writeChunk(ctx.res, out)
    }
    const tail = handler.onEnd()
    ctx.res.end(tail)
  } catch (err) {
    if (ctx.res.destroyed) throw err
    if (passthrough && !parser.isAtBoundary) {
      ctx.res.destroy()
    } else {
      // What the maskers still hold is dropped: cut short, it may be the first half of a value that
      // would only have been recognized whole.
      ctx.res.end(handler.errorEvent(clientErrorOf(err, ctx.requestId)))
    }
    throw err
  }
  return handler.usage()
}
