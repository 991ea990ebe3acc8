import type { Decision, GatewayEvent } from '../events/index.js'

/** What a plugin knows about one decided request when it records it. */
export interface AuditEntry {
  event: GatewayEvent
  decision: Decision
  requestId: string
  /** Masked, literal-normalized summary: SQL text, model, route. */
  summary?: Record<string, unknown>
  /** Counts of masked values by entity type. */
  masked?: Record<string, number>
  usage?: { inputTokens?: number; outputTokens?: number; rows?: number }
  latencyMs?: number
}

/** Things that happen to the gateway itself rather than to a request. */
export type SystemEventKind = 'policy_reload' | 'policy_reload_failed' | 'start' | 'stop'

export interface AuditStats {
  /** Lines written since start. */
  lines: number
  /** seq of the newest line (continues across restarts). */
  seq: number
  /** Lines each sink dropped because it fell behind, by sink name (`stdout`, `file:PATH`). */
  dropped: Record<string, number>
}

export interface AuditLog {
  record (entry: AuditEntry): void
  system (kind: SystemEventKind, data: Record<string, unknown>): void
  stats (): AuditStats
  close (): Promise<void>
}

export { createAuditLog, type AuditLogOptions } from './create-audit-log.js'
export { verifyAuditFile, verifyAuditLines, type ChainVerdict, type VerifyOptions } from './chain-verifier.js'
export { canonicalJson, hashLine, GENESIS_HASH, type ChainHead } from './hash-chain.js'
export { MAX_SINK_BUFFER_BYTES } from './sink.js'
