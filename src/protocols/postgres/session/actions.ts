import type { AuditEntry } from '../../../core/audit/index.js'
import type { PostgresTargetConfig } from '../../../core/config/index.js'
import type { BackendKeyData } from '../messages/backend-key-data.js'

/**
 * What the session asks its driver to do; the session itself never touches a socket.
 * Actions run in order: bytes queued before a `close` are flushed first.
 */
export type Action =
  | { kind: 'to-client'; bytes: Buffer }
  | { kind: 'to-server'; bytes: Buffer }
  /** Upgrade the client socket to TLS (after 'S' was sent); then call onTlsStarted. */
  | { kind: 'start-tls' }
  /** Verify the client's password as a credential; then call onVerified or onAuthFailed. */
  | { kind: 'verify'; password: string }
  /** Log in to the target; then call onUpstreamReady or onUpstreamFailed. */
  | { kind: 'connect'; target: PostgresTargetConfig; params: Record<string, string> }
  /** Cancel whatever the session with this (client-facing) key is running. */
  | { kind: 'cancel'; key: BackendKeyData }
  | { kind: 'audit'; entry: AuditEntry }
  /** Handle no further server frame until `until` settles (it never rejects): a catalog lookup for masking. */
  | { kind: 'wait-server'; until: Promise<void> }
  /** Read no further client frame until `then` settles (it never rejects); then perform what it returns. */
  | { kind: 'wait-client'; then: Promise<() => Action[]> }
  /** End the session: flush what was queued for the client, then close both legs. */
  | { kind: 'close'; reason: string }
