import type { ProtocolName } from '../events/index.js'

/** gatehouse.yaml after validation, with every default filled in. Names follow DESIGN.md. */
export interface GatehouseConfig {
  /** Absolute path of the config file, or undefined in dev mode. */
  source?: string
  devMode: boolean
  dataDir: string
  listeners: ListenerConfig[]
  admin: AdminConfig
  identity: IdentityConfig
  targets: TargetConfig[]
  policies: PoliciesConfig
  /** 'memory', or a redis:// URL shared by several instances. */
  state: string
  audit: AuditConfig
  limits: LimitsConfig
}

export type ListenerTls =
  | { mode: 'off' }
  | { mode: 'auto' }
  | { mode: 'files'; cert: string; key: string }

export interface ListenerConfig {
  name: string
  host: string
  port: number
  protocols: ProtocolName[]
  tls: ListenerTls
  /** Accept a token password over plaintext from a loopback client (Postgres). */
  allowLoopbackPlaintext: boolean
}

export interface AdminConfig {
  host: string
  port: number
  adminGroups: string[]
}

export interface OidcIssuerConfig {
  issuer: string
  audience: string
  groupsClaim: string
  jwksUri?: string
  /** Accepted JWS algorithms; never 'none', never HS*. */
  algorithms: string[]
  clockToleranceS: number
}

export interface ApiKeyConfig {
  name: string
  /** Hex SHA-256 of the key. */
  sha256: string
  groups: string[]
}

export interface IdentityConfig {
  oidc: OidcIssuerConfig[]
  apiKeys: ApiKeyConfig[]
  devIssuer: boolean
}

export type UpstreamTlsMode = 'disable' | 'prefer' | 'require' | 'verify-full'

export interface PostgresTargetConfig {
  name: string
  protocol: 'postgres'
  /** postgres://user@host:port/db (no password: that comes from passwordEnv / passwordFile). */
  upstream: string
  passwordEnv?: string
  passwordFile?: string
  upstreamTls: UpstreamTlsMode
  /** CA bundle for verify-full. */
  upstreamCa?: string
}

export interface HttpLlmTargetConfig {
  name: string
  protocol: 'http-llm'
  provider: 'openai' | 'anthropic'
  upstream: string
  apiKeyEnv?: string
  apiKeyFile?: string
  timeouts: { connectMs: number; headersMs: number; bodyMs: number }
  maxBodyBytes: number
  /** Set only by dev mode: answer from the built-in deterministic demo model. */
  demo?: boolean
}

export type TargetConfig = PostgresTargetConfig | HttpLlmTargetConfig

export interface PoliciesConfig {
  dir: string
  default: 'allow' | 'deny'
  reloadRequiresTests: boolean
}

export type AuditSinkConfig = { type: 'stdout' } | { type: 'file'; path: string }

export interface AuditConfig {
  sinks: AuditSinkConfig[]
  recordSessions: boolean
}

export interface LimitsConfig {
  /** A client must finish its protocol handshake within this time. */
  handshakeTimeoutMs: number
  /** Largest single protocol message (Postgres frame) accepted from a client. */
  maxMessageBytes: number
  /** Time allowed to drain in-flight work on shutdown. */
  shutdownGraceMs: number
}
