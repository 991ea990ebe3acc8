import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

/** RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'])
/** The caller's credentials: verified by gatehouse, never shown to the upstream. */
const CALLER_CREDENTIALS = new Set(['authorization', 'x-api-key', 'api-key', 'cookie'])
/** Set by gatehouse for the upstream leg (the target decides the account, we decide the encoding). */
const GATEWAY_SET = new Set(['host', 'content-length', 'accept-encoding', 'expect', 'openai-organization', 'openai-project'])
/** The upstream account's identity and cookies are not the caller's business. */
const UPSTREAM_ACCOUNT = new Set(['openai-organization', 'openai-project', 'anthropic-organization-id', 'set-cookie'])

export const HEADER_REQUEST_ID = 'x-gatehouse-request-id'
export const HEADER_OVERHEAD = 'x-gatehouse-overhead-ms'
/** Set on every response by this gatehouse; an upstream that is itself a gatehouse must not overwrite them. */
const SET_BY_GATEHOUSE = new Set([HEADER_REQUEST_ID, HEADER_OVERHEAD])

const NO_TOKENS: ReadonlySet<string> = new Set()
const KEEP_ALIVE: ReadonlySet<string> = new Set(['keep-alive'])
const CLOSE: ReadonlySet<string> = new Set(['close'])

function connectionTokens (value: string | string[] | undefined): ReadonlySet<string> {
  // Most requests and responses name nothing beyond keep-alive/close: no set to build.
  if (value === undefined) return NO_TOKENS
  if (value === 'keep-alive') return KEEP_ALIVE
  if (value === 'close') return CLOSE
  const v = Array.isArray(value) ? value.join(',') : value
  return new Set(v.split(',').map(s => s.trim().toLowerCase()).filter(Boolean))
}

/**
 * Headers for the upstream request: the caller's, minus hop-by-hop headers (incl. those the Connection
 * header names), the caller's credentials and gatehouse's own; plus the target's credential headers.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1
 */
export function upstreamRequestHeaders (incoming: IncomingHttpHeaders, inject: Record<string, string>): Record<string, string> {
  const named = connectionTokens(incoming.connection)
  const out: Record<string, string> = {}
  for (const name in incoming) {
    const value = incoming[name]
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || CALLER_CREDENTIALS.has(name) || GATEWAY_SET.has(name) || name.startsWith('x-gatehouse-')) continue
    out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  // Usage accounting and masking read the body: ask for it uncompressed (a body that comes compressed anyway is decoded).
  out['accept-encoding'] = 'identity'
  return Object.assign(out, inject)
}

/** Headers for the client from the upstream's; length and encoding dropped when gatehouse rewrites the body. */
export function clientResponseHeaders (upstream: Record<string, string | string[] | undefined>, rewritten: boolean): OutgoingHttpHeaders {
  const named = connectionTokens(upstream.connection)
  const out: OutgoingHttpHeaders = {}
  for (const name in upstream) {
    const value = upstream[name]
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || UPSTREAM_ACCOUNT.has(name) || SET_BY_GATEHOUSE.has(name)) continue
    if (rewritten && (name === 'content-length' || name === 'content-encoding')) continue
    out[name] = value
  }
  return out
}

/** The caller's token: `Authorization: Bearer` (OpenAI SDKs) or `x-api-key` (Anthropic SDKs). */
export function callerCredential (headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1]
  if (bearer !== undefined) return bearer
  const key = headers['x-api-key']
  return typeof key === 'string' && key.trim() !== '' ? key.trim() : undefined
}
