import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { HttpLlmTargetConfig } from '../../core/config/index.js'
import type { ConnectionInfo, GatewayServices, ProtocolPlugin, ReadinessCheck } from '../../core/plugin/index.js'
import { anthropicProvider } from './anthropic/index.js'
import { DemoUpstream } from './demo-model.js'
import { llmErrors } from './errors.js'
import { HEADER_OVERHEAD, HEADER_REQUEST_ID } from './headers.js'
import { sortableId } from '../../core/events/index.js'
import { openaiProvider } from './openai/index.js'
import type { Provider } from './provider.js'
import { handleLlmRequest, type MaskingFactory, type TargetRuntime } from './request-handler.js'
import { piiMasking } from './pii-masking.js'
import { sniffHttp } from './sniff.js'
import { TargetKey } from './target-key.js'
import { PooledUpstream } from './upstream.js'
import { VerifiedTokens } from './verified-tokens.js'

export interface HttpLlmPluginOptions {
  /** How mask specs become maskers (the PII engine by default). */
  masking?: MaskingFactory
}

const PROVIDERS: Record<HttpLlmTargetConfig['provider'], Provider> = { openai: openaiProvider, anthropic: anthropicProvider }
/** Idle keep-alive connections from clients are closed after this long. */
const CLIENT_KEEP_ALIVE_MS = 65_000

function targetRuntime (t: HttpLlmTargetConfig): TargetRuntime {
  const provider = PROVIDERS[t.provider]
  const key = new TargetKey(t)
  if (t.demo === true) return { config: t, provider, upstream: new DemoUpstream(t, provider), basePath: '', key }
  const upstream = new PooledUpstream(t)
  return { config: t, provider, upstream, basePath: upstream.basePath, key }
}

/**
 * The http-llm protocol: OpenAI and Anthropic APIs under `/<target>/...`, through identity, policy,
 * masking and audit. Core hands it sockets; an internal node:http server parses them.
 */
export function createHttpLlmPluginWith (services: GatewayServices, opts: HttpLlmPluginOptions = {}): ProtocolPlugin {
  const targets = new Map<string, TargetRuntime>()
  for (const t of services.config.targets) if (t.protocol === 'http-llm') targets.set(t.name, targetRuntime(t))
  const connections = new WeakMap<object, ConnectionInfo>()
  const deps = { services, targets, fallbackProvider: openaiProvider, connections, masking: opts.masking ?? piiMasking(services.maskHashKey), tokens: new VerifiedTokens(services.identity) }
  let closing = false
  let inFlight = 0
  let drained: (() => void) | undefined
  // node:http tracks connections only for a server that listens itself; this one is fed sockets, so
  // it keeps its own count of requests in flight per socket to close idle ones on shutdown.
  const sockets = new Map<Duplex, number>()

  const server = createServer({ keepAliveTimeout: CLIENT_KEEP_ALIVE_MS }, (req: IncomingMessage, res: ServerResponse) => {
    inFlight++
    const socket = req.socket
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1)
    res.on('close', () => {
      const left = (sockets.get(socket) ?? 1) - 1
      if (sockets.has(socket)) sockets.set(socket, left)
      if (closing && left === 0) socket.destroy()
      if (--inFlight === 0) drained?.()
    })
    if (closing) {
      res.shouldKeepAlive = false
      const requestId = sortableId()
      const body = JSON.stringify(openaiProvider.errorBody(llmErrors.shuttingDown(), requestId))
      res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close', [HEADER_REQUEST_ID]: requestId, [HEADER_OVERHEAD]: '0.00' })
      res.end(body)
      return
    }
    handleLlmRequest(deps, req, res).catch(err => {
      services.log.error({ err }, 'http-llm handler failed')
      res.destroy()
    })
  })
  server.on('clientError', (err, socket) => {
    // A request line or headers node:http cannot parse: answer 400 when the socket can still take it.
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    else socket.destroy(err)
  })

  return {
    name: 'http-llm',
    sniff: sniffHttp,
    handle (socket: Duplex, conn: ConnectionInfo): void {
      if (closing) { socket.destroy(); return }
      connections.set(socket, conn)
      sockets.set(socket, 0)
      socket.once('close', () => sockets.delete(socket))
      server.emit('connection', socket)
    },
    async readiness (): Promise<ReadinessCheck[]> {
      return Promise.all([...targets.values()].map(t => t.upstream.check()))
    },
    async close (graceMs: number): Promise<void> {
      closing = true
      for (const [socket, active] of sockets) if (active === 0) socket.destroy()
      if (inFlight > 0) {
        await new Promise<void>(resolve => {
          const timer = setTimeout(resolve, graceMs)
          drained = () => { clearTimeout(timer); resolve() }
        })
      }
      for (const socket of sockets.keys()) socket.destroy()
      await Promise.all([...targets.values()].map(t => t.upstream.close()))
    }
  }
}
