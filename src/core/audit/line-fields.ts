import type { AuditEntry } from './index.js'

/** Keys whose values are credentials wherever they appear in a summary or system event. */
const SECRET_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|password|passwd|secret|client_secret|token|access_token|id_token|refresh_token|api[-_]?key|x-api-key)$/i
/** Strings longer than this in a summary are cut: an audit line records what happened, not the payload. */
export const MAX_SUMMARY_STRING_CHARS = 4096
const MAX_DEPTH = 8

/**
 * The body of a decision line. Only named fields are copied: the identity gives sub, iss, groups and
 * via (never email or other claims), the event gives ids and routing but never its raw SQL, parameters
 * or prompt text; what the request said is in `summary`, which the caller masked and normalized.
 */
export function decisionLineBody (entry: AuditEntry, time: Date): Record<string, unknown> {
  const { event, decision } = entry
  return {
    time: time.toISOString(),
    kind: 'decision',
    requestId: entry.requestId,
    eventId: event.id,
    session: event.session.id,
    client: event.session.client.address,
    identity: { sub: event.identity.sub, iss: event.identity.iss, groups: [...event.identity.groups], via: event.identity.via },
    protocol: event.session.protocol,
    target: event.session.target,
    phase: event.phase,
    action: decision.action,
    rules: [...decision.rules],
    shadow: [...decision.shadow],
    policyRevision: decision.policyRevision,
    message: decision.message,
    summary: entry.summary === undefined ? undefined : scrub(entry.summary, 0),
    masked: entry.masked,
    usage: entry.usage,
    latencyMs: entry.latencyMs
  }
}

/** The body of a system line (reloads, start, stop). */
export function systemLineBody (event: string, data: Record<string, unknown>, time: Date): Record<string, unknown> {
  return { time: time.toISOString(), kind: 'system', event, data: scrub(data, 0) }
}

/** Defence in depth for caller-built objects: credential-named keys redacted, long strings cut. */
function scrub (value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    return value.length > MAX_SUMMARY_STRING_CHARS ? `${value.slice(0, MAX_SUMMARY_STRING_CHARS)}…[+${value.length - MAX_SUMMARY_STRING_CHARS} chars]` : value
  }
  // JSON has no bigint (row counts from a driver may be one); keep the exact digits as a string.
  if (typeof value === 'bigint') return value.toString()
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Error) return scrub(value.message, depth)
  if (depth >= MAX_DEPTH) return '[too deep]'
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : scrub(v, depth + 1)
  return out
}
