import { EventEmitter } from 'node:events'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { HttpLlmTargetConfig } from '../../core/config/index.js'
import { AuthError, ProtocolError, UnknownTargetError } from '../../core/errors.js'
import { sortableId, type Decision, type GatewayEvent, type Identity, type MaskSpec } from '../../core/events/index.js'
import type { ConnectionInfo, GatewayServices } from '../../core/plugin/index.js'
import { clientErrorOf, llmErrors, type ClientError } from './errors.js'
import { HEADER_OVERHEAD, HEADER_REQUEST_ID, callerCredential, upstreamRequestHeaders } from './headers.js'
import type { TextMasking } from './masking.js'
import type { Provider, RouteKind, Usage } from './provider.js'
import { readRequestBody } from './request-body.js'
import { relayResponse } from './response-relay.js'
import { splitTargetPath, upstreamPath } from './target-route.js'
import type { TargetKey } from './target-key.js'
import type { Upstream } from './upstream.js'
import type { VerifiedTokens } from './verified-tokens.js'

/** A configured target with everything a request to it needs. */
export interface TargetRuntime {
  config: HttpLlmTargetConfig
  provider: Provider
  upstream: Upstream
  /** The path part of the upstream URL ('' for the demo model). */
  basePath: string
  key: TargetKey
}

/** Builds the masking for the mask specs that apply in one direction; undefined when none do. */
export type MaskingFactory = (specs: MaskSpec[], direction: 'request' | 'response') => TextMasking | undefined

export interface HandlerDeps {
  services: GatewayServices
  targets: ReadonlyMap<string, TargetRuntime>
  /** Default provider shape for errors on paths that name no target. */
  fallbackProvider: Provider
  connections: WeakMap<object, ConnectionInfo>
  masking: MaskingFactory
  tokens: VerifiedTokens
}

/** What one request became, for its audit line. */
interface Outcome {
  identity?: Identity
  event?: GatewayEvent
  decision?: Decision
  status?: number
  error?: ClientError
  usage?: Usage
  masking: TextMasking[]
}


/**
 * One HTTP request through gatehouse: route -> identity -> body -> event -> decision -> request masking
 * -> upstream with the target's key -> relay (response masking, usage) -> audit. docs/http-lifecycle.md
 * draws it with the error each phase returns.
 */
export async function handleLlmRequest (deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now()
  const requestId = sortableId()
  res.setHeader(HEADER_REQUEST_ID, requestId)
  const conn = deps.connections.get(req.socket)
  const { name, apiPath, query } = splitTargetPath(req.url ?? '/')
  const rt = deps.targets.get(name)
  const provider = rt?.provider ?? deps.fallbackProvider
  const method = req.method ?? 'GET'
  const outcome: Outcome = { masking: [] }
  /** Time not spent in gatehouse: reading the client's body and waiting for the upstream. */
  let waitedMs = 0
  const setOverhead = (headers: OutgoingHttpHeaders) => {
    headers[HEADER_OVERHEAD] = (performance.now() - started - waitedMs).toFixed(2)
  }

  // The client going away aborts the upstream request (undici reads `aborted` when the request starts,
  // then listens for 'abort'). An EventEmitter, not an AbortController: undici takes either, and an
  // AbortController's EventTarget setup cost ~10 us of every request.
  const clientGone = Object.assign(new EventEmitter(), { aborted: false })
  res.on('close', () => {
    if (res.writableFinished) return
    clientGone.aborted = true
    clientGone.emit('abort')
  })

  try {
    const credential = callerCredential(req.headers)
    if (credential === undefined) throw new AuthError('no credential: send your token as Authorization: Bearer <token> or x-api-key')
    outcome.identity = await deps.tokens.verify(credential)
    if (rt === undefined) throw new UnknownTargetError(`no LLM target named "${name}" (the first path segment names the target)`)
    const kind = provider.routeKind(method, apiPath)

    const bodyStarted = performance.now()
    const raw = await readRequestBody(req, rt.config.maxBodyBytes)
    waitedMs += performance.now() - bodyStarted
    const encoding = req.headers['content-encoding']
    if (encoding !== undefined && encoding !== 'identity') return sendError(res, provider, requestId, llmErrors.unsupportedEncoding(encoding), setOverhead, outcome)
    const body = parseBody(raw, kind, String(req.headers['content-type'] ?? ''))

    const text: string[] = []
    if (body !== undefined) provider.visitPrompt(kind, body, t => { text.push(t); return undefined })
    const model = typeof body?.model === 'string' ? body.model : undefined
    const maxTokens = body === undefined ? undefined : provider.maxTokens(body)
    const stream = body?.stream === true
    const event: GatewayEvent = {
      id: requestId,
      session: { id: conn?.id ?? requestId, protocol: 'http-llm', target: rt.config.name, client: { address: conn?.remoteAddress ?? req.socket.remoteAddress ?? '' } },
      identity: outcome.identity,
      phase: 'request',
      llm: { provider: provider.name, route: apiPath, stream, text, ...(model === undefined ? {} : { model }), ...(maxTokens === undefined ? {} : { maxTokens }) }
    }
    outcome.event = event
    const decision = deps.services.policy.current().decide(event)
    outcome.decision = decision
    const refusal = refusalOf(decision, kind, apiPath)
    if (refusal !== undefined) return sendError(res, provider, requestId, refusal, setOverhead, outcome)

    const requestMasking = deps.masking(decision.masks, 'request')
    const responseMasking = deps.masking(decision.masks, 'response')
    for (const m of [requestMasking, responseMasking]) if (m !== undefined) outcome.masking.push(m)
    let rewritten = false
    if (requestMasking !== undefined && body !== undefined) {
      provider.visitPrompt(kind, body, t => requestMasking.mask(t))
      rewritten = true
    } else if (requestMasking !== undefined && raw.length > 0) {
      const rule = decision.masks.find(m => m.applyTo.includes('request'))?.rule ?? 'mask'
      return sendError(res, provider, requestId, llmErrors.policyDenied(rule, 'a mask rule applies to this request, but its body is not JSON that gatehouse can mask, so it was not sent'), setOverhead, outcome)
    }
    const stripUsageChunk = stream && body !== undefined && provider.requestStreamUsage(kind, body)
    rewritten ||= stripUsageChunk

    // The demo model stands in precisely because there is no key.
    const key = rt.config.demo === true ? undefined : rt.key.get()
    const upstreamStarted = performance.now()
    const up = await rt.upstream.request({
      method,
      path: upstreamPath(rt.basePath, apiPath) + query,
      headers: upstreamRequestHeaders(req.headers, provider.credentialHeaders(key, req.headers)),
      body: method === 'GET' || method === 'HEAD' ? undefined : rewritten ? Buffer.from(JSON.stringify(body)) : raw,
      signal: clientGone
    })
    waitedMs += performance.now() - upstreamStarted
    outcome.status = up.statusCode
    outcome.usage = await relayResponse({
      res, provider, kind, requestId, key, masking: responseMasking, stripUsageChunk, beforeHeaders: setOverhead
    }, up)
  } catch (err) {
    if (clientGone.aborted) {
      outcome.error = llmErrors.clientClosed()
    } else {
      const ce = clientErrorOf(err, requestId)
      outcome.error = ce
      const log = conn?.log ?? deps.services.log
      if (ce.code === 'GH_INTERNAL') log.error({ err, requestId }, 'http-llm request failed')
      // Refused callers leave no audit line (no identity): the log is their trace. AuthError messages are safe.
      else if (ce.code === 'GH_AUTH') log.info({ requestId, target: name, reason: ce.message }, 'http-llm caller not authenticated')
      if (!res.headersSent) sendError(res, provider, requestId, ce, setOverhead, outcome)
      else if (!res.writableEnded) res.destroy()
    }
  } finally {
    audit(deps, outcome, requestId, { target: name, route: apiPath, sessionId: conn?.id ?? requestId, client: conn?.remoteAddress ?? '' }, started)
  }
}

/** The JSON body; undefined when there is none, or when an unknown route sends something else (uploads). */
function parseBody (raw: Buffer, kind: RouteKind, contentType: string): Record<string, unknown> | undefined {
  if (raw.length === 0) return undefined
  if (kind === 'other' && !contentType.includes('json')) return undefined
  let body: unknown
  try {
    body = JSON.parse(raw.toString('utf8'))
  } catch (err) {
    throw new ProtocolError(`request body is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    if (kind === 'other') return undefined
    throw new ProtocolError('request body must be a JSON object')
  }
  return body as Record<string, unknown>
}

/** What the caller gets instead of a relay, if anything. */
function refusalOf (d: Decision, kind: RouteKind, route: string): ClientError | undefined {
  if (d.action === 'deny') return llmErrors.policyDenied(d.rules[0] ?? 'policies.default', d.message ?? 'denied by policy')
  if (d.action === 'require_approval') {
    // Holding requests for approval needs the approvals room; until it exists the caller is told so.
    return llmErrors.approvalRequired(d.rules[0] ?? 'approval', `${d.message ?? 'approval required'}; approvals are not available in this gatehouse version yet, so the request was not sent`)
  }
  if (kind === 'other' && d.rules.length === 0) return llmErrors.unknownRoute(route)
  return undefined
}

/** The target's key, read when needed so a rotated env/file takes effect; none for a keyless upstream. */
function sendError (res: ServerResponse, provider: Provider, requestId: string, err: ClientError, setOverhead: (h: OutgoingHttpHeaders) => void, outcome: Outcome): void {
  outcome.error = err
  outcome.status = err.status
  const body = JSON.stringify(provider.errorBody(err, requestId))
  const headers: OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...err.headers }
  // A body we refused to read is still on the wire: close rather than parse it as the next request.
  if (err.status === 413 || err.status === 415) headers.connection = 'close'
  setOverhead(headers)
  res.writeHead(err.status, headers)
  res.end(body)
}

/** One audit line per request that got past identity; a refusal before policy is recorded as a deny without rules. */
function audit (deps: HandlerDeps, o: Outcome, requestId: string, where: { target: string; route: string; sessionId: string; client: string }, started: number): void {
  if (o.identity === undefined) return
  const route = where.route
  const event: GatewayEvent = o.event ?? {
    id: requestId,
    session: { id: where.sessionId, protocol: 'http-llm', target: where.target, client: { address: where.client } },
    identity: o.identity,
    phase: 'request',
    llm: { provider: deps.fallbackProvider.name, route, stream: false, text: [] }
  }
  const decision: Decision = o.decision ?? {
    action: 'deny', rules: [], shadow: [], masks: [], limits: [],
    message: o.error === undefined ? undefined : `${o.error.code}: ${o.error.message}`,
    policyRevision: deps.services.policy.current().revision
  }
  const masked: Record<string, number> = {}
  for (const m of o.masking) for (const [type, n] of Object.entries(m.counts())) masked[type] = (masked[type] ?? 0) + n
  deps.services.audit.record({
    event: { ...event, llm: event.llm === undefined ? undefined : { ...event.llm, text: [] } },
    decision,
    requestId,
    summary: {
      route, model: event.llm?.model, stream: event.llm?.stream, status: o.status,
      ...(o.error === undefined ? {} : { error: o.error.code })
    },
    masked,
    usage: o.usage,
    latencyMs: Math.round((performance.now() - started) * 100) / 100
  })
}
