import type { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Logger } from '../log/index.js'
import type { GatehouseConfig, ListenerConfig } from '../config/index.js'
import type { ProtocolName } from '../events/index.js'
import type { IdentityVerifier } from '../identity/index.js'
import type { PolicyStore } from '../policy/index.js'
import type { AuditLog } from '../audit/index.js'

/** What core hands every plugin once, at start-up. */
export interface GatewayServices {
  config: GatehouseConfig
  log: Logger
  identity: IdentityVerifier
  policy: PolicyStore
  audit: AuditLog
  /** Key of the `hash` mask style (from data_dir); absent, hash tokens are stable for this process only. */
  maskHashKey?: Buffer
}

/** One accepted connection, after core sniffed (and, for a TLS ClientHello, terminated TLS). */
export interface ConnectionInfo {
  id: string
  listener: ListenerConfig
  remoteAddress: string
  isLoopback: boolean
  /** The socket is already TLS (a ClientHello was sniffed and core terminated it). */
  encrypted: boolean
  /** ALPN protocol negotiated during that TLS handshake, if any. */
  alpn?: string
  /**
   * Upgrade a plaintext socket to TLS with the listener's certificate, for in-protocol upgrades such as
   * Postgres SSLRequest. Absent when the listener's tls is off.
   */
  startTls?: (socket: Socket) => Promise<TLSSocket>
  log: Logger
}

export interface ReadinessCheck { name: string; ok: boolean; detail?: string }

/** Every protocol implements this; core owns listeners, sniffing, TLS and shutdown. */
export interface ProtocolPlugin {
  readonly name: ProtocolName
  /** Looks at the first bytes a client sent (after TLS, if any). */
  sniff (head: Buffer): 'yes' | 'no' | 'need-more'
  /** Takes over the socket; the head bytes core read have been put back in front of it. */
  handle (socket: Duplex, conn: ConnectionInfo): void
  /** Upstream reachability for /readyz. */
  readiness? (): Promise<ReadinessCheck[]>
  /** Stop taking new work, let in-flight work finish within graceMs, then close everything. */
  close (graceMs: number): Promise<void>
}

export type PluginFactory = (services: GatewayServices) => ProtocolPlugin | Promise<ProtocolPlugin>
