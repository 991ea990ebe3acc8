import type { EventEmitter } from 'node:events'
import { connect } from 'node:net'
import type { Readable } from 'node:stream'
import { Pool, errors as undiciErrors } from 'undici'
import type { HttpLlmTargetConfig } from '../../core/config/index.js'
import type { ReadinessCheck } from '../../core/plugin/index.js'
import { UpstreamError, UpstreamTimeoutError } from '../../core/errors.js'

export interface UpstreamRequest {
  method: string
  /** Path and query on the upstream origin. */
  path: string
  headers: Record<string, string>
  body?: Buffer
  /** Emits 'abort' when the client has gone away (undici takes an EventEmitter as well as an AbortSignal). */
  signal: EventEmitter
}

export interface UpstreamResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: AsyncIterable<Buffer> & { destroy (err?: Error): unknown }
}

/** Where a target's requests go: a pooled HTTP origin, or the built-in demo model. */
export interface Upstream {
  request (r: UpstreamRequest): Promise<UpstreamResponse>
  check (): Promise<ReadinessCheck>
  close (): Promise<void>
}

/** One keep-alive undici pool per target, with the target's connect/headers/body timeouts. */
export class PooledUpstream implements Upstream {
  readonly #target: HttpLlmTargetConfig
  readonly #url: URL
  readonly #pool: Pool

  constructor (target: HttpLlmTargetConfig) {
    this.#target = target
    this.#url = new URL(target.upstream)
    this.#pool = new Pool(this.#url.origin, {
      connect: { timeout: target.timeouts.connectMs },
      headersTimeout: target.timeouts.headersMs,
      bodyTimeout: target.timeouts.bodyMs
    })
  }

  get basePath (): string { return this.#url.pathname }

  async request (r: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      const res = await this.#pool.request({ method: r.method as 'POST', path: r.path, headers: r.headers, body: r.body, signal: r.signal })
      return { statusCode: res.statusCode, headers: res.headers, body: new UpstreamBody(res.body, this.#target.name) }
    } catch (err) {
      throw upstreamErrorOf(err, this.#target.name)
    }
  }

  /** A TCP connect within the connect timeout: cheap, and says whether requests could go anywhere. */
  check (): Promise<ReadinessCheck> {
    const name = `http-llm:${this.#target.name}`
    const port = Number(this.#url.port || (this.#url.protocol === 'https:' ? 443 : 80))
    return new Promise(resolve => {
      const socket = connect({ host: this.#url.hostname, port })
      const done = (ok: boolean, detail?: string) => { socket.destroy(); resolve(detail === undefined ? { name, ok } : { name, ok, detail }) }
      socket.setTimeout(this.#target.timeouts.connectMs, () => done(false, `connect to ${this.#url.host} timed out`))
      socket.once('connect', () => done(true))
      socket.once('error', (err: NodeJS.ErrnoException) => done(false, `cannot connect to ${this.#url.host}: ${err.code ?? err.message}`))
    })
  }

  async close (): Promise<void> {
    await this.#pool.destroy()
  }
}

/**
 * An upstream response body whose failures while it streams (a stall, a dropped socket) become gatehouse
 * errors. A class rather than closures per response: under tsx each named closure costs a defineProperty.
 */
class UpstreamBody implements AsyncIterable<Buffer> {
  readonly #body: Readable
  readonly #target: string
  constructor (body: Readable, target: string) { this.#body = body; this.#target = target }
  [Symbol.asyncIterator] (): AsyncIterator<Buffer> { return upstreamChunks(this.#body, this.#target) }
  destroy (err?: Error): void { this.#body.destroy(err) }
}

async function * upstreamChunks (body: Readable, target: string): AsyncGenerator<Buffer> {
  try {
    for await (const c of body) yield c as Buffer
  } catch (err) {
    throw upstreamErrorOf(err, target)
  }
}

/** undici's failures as gatehouse errors; a client abort stays an AbortError. Messages name the target, never a key. */
export function upstreamErrorOf (err: unknown, target: string): unknown {
  if (err instanceof UpstreamError || err instanceof UpstreamTimeoutError) return err
  if (err instanceof undiciErrors.RequestAbortedError || (err as Error)?.name === 'AbortError') return err
  if (err instanceof undiciErrors.HeadersTimeoutError) return new UpstreamTimeoutError(`upstream of target ${target} sent no response headers within its headers timeout`, { cause: err })
  if (err instanceof undiciErrors.BodyTimeoutError) return new UpstreamTimeoutError(`upstream of target ${target} stalled within its body timeout`, { cause: err })
  if (err instanceof undiciErrors.ConnectTimeoutError) return new UpstreamError(`cannot connect to the upstream of target ${target}: connect timeout`, { cause: err })
  if (err instanceof undiciErrors.SocketError) return new UpstreamError(`the upstream of target ${target} closed the connection`, { cause: err })
  const code = (err as NodeJS.ErrnoException)?.code
  return new UpstreamError(`cannot reach the upstream of target ${target}${code ? `: ${code}` : ''}`, { cause: err })
}
