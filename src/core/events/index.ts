/**
 * The common event model: what a protocol plugin parsed, in the only shape policy, limits,
 * approvals and audit ever see. See DESIGN.md "Common event model".
 */
export type ProtocolName = 'postgres' | 'http-llm'

export interface Identity {
  sub: string
  iss: string
  groups: string[]
  email?: string
  via: 'oidc' | 'api_key' | 'dev'
  /** Expiry of the credential, epoch seconds; the session ends then. Absent for API keys. */
  expiresAt?: number
}

export interface SqlTable { schema?: string; name: string; access: 'read' | 'write' }

export interface SqlStatement {
  /** select insert update delete merge copy ddl:create ddl:drop ddl:alter truncate grant revoke set call do
   *  begin commit rollback show explain prepare execute deallocate listen notify vacuum unknown ... */
  operation: string
  tables: SqlTable[]
  /** For UPDATE/DELETE: whether a WHERE clause restricts it. */
  hasWhere?: boolean
  /** Statements run inside this one: data-modifying CTEs (`WITH d AS (DELETE ...) SELECT ...`) and a DO
   *  block's static SQL; their tables are also in `tables`. Match `operations` and `without_where` against these too, or they bypass rules. */
  nested?: SqlStatement[]
}

export interface SqlFacts {
  text: string
  statements: SqlStatement[]
  /** Bind parameter values (extended protocol), as text where the client sent text; null is SQL NULL. */
  params?: Array<string | null>
}

export interface LlmFacts {
  provider: 'openai' | 'anthropic'
  route: string
  model?: string
  stream: boolean
  /** Prompt, system and tool text, in order. */
  text: string[]
  maxTokens?: number
}

export interface SessionInfo {
  id: string
  protocol: ProtocolName
  target: string
  client: { address: string }
}

export interface GatewayEvent {
  /** Unique and sortable. */
  id: string
  session: SessionInfo
  identity: Identity
  phase: 'connect' | 'request' | 'response'
  sql?: SqlFacts
  llm?: LlmFacts
}

export type PolicyAction = 'allow' | 'deny' | 'mask' | 'rate_limit' | 'require_approval'
export type DecisionAction = 'allow' | 'deny' | 'require_approval'
export type MaskStyle = 'label' | 'partial' | 'hash' | 'null'
export type MaskTarget = 'request' | 'response'

/** A recognizer declared by a policy author (validated and compiled by the policy room, run by pii). */
export interface CustomRecognizerSpec {
  /** The entity type it reports, e.g. EMPLOYEE_ID. */
  entity: string
  /** RE2 syntax: linear time whatever the input. */
  pattern: string
  validate?: 'luhn' | 'mod97' | 'none'
  context?: string[]
  score?: number
}

export interface MaskSpec {
  rule: string
  entities: string[]
  /** table.column or schema.table.column, masked whatever the value looks like. */
  columns: string[]
  applyTo: MaskTarget[]
  style: MaskStyle
  recognizers?: CustomRecognizerSpec[]
}

export interface RateSpec { count: number; windowMs: number }

export interface LimitSpec {
  rule: string
  requests?: RateSpec
  tokens?: RateSpec
  per: 'user' | 'group' | 'global'
}

export interface ApprovalSpec {
  rule: string
  approvers: { groups?: string[]; sub?: string[] }
  quorum: number
  scope: 'once' | 'session' | 'identity'
  timeoutMs: number
  /** How long the caller's request is held waiting; 0 answers at once with the approval id. */
  waitMs: number
}

export interface Decision {
  action: DecisionAction
  /** Ids of the rules that decided. */
  rules: string[]
  /** Shadow-mode rules that would have fired. */
  shadow: string[]
  masks: MaskSpec[]
  limits: LimitSpec[]
  approval?: ApprovalSpec
  message?: string
  policyRevision: string
}

export { sortableId } from './ids.js'
