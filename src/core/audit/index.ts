import type { Decision, GatewayEvent } from '../events/index.js'

/** What a plugin knows about one decided request when it records it. */
export interface AuditEntry {
  event: GatewayEvent
  decision: Decision
  requestId: string
  /** Masked, literal-normalized summary: SQL text, model, route. */
  summary?: Record<string, unknown>
  masked?: Record<string, number>
  usage?: { inputTokens?: number; outputTokens?: number; rows?: number }
  latencyMs?: number
}

export interface AuditLog {
  record (entry: AuditEntry): void
  close (): Promise<void>
}
