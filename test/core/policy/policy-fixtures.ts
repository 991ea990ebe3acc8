import type { GatewayEvent, LlmFacts, SqlStatement } from '../../../src/core/events/index.js'
import { compilePolicySet, type CompileOptions, type PolicySet } from '../../../src/core/policy/index.js'

/** Compiles rule YAML held in a test; throws with every problem when it does not compile. */
export function compileRules (yaml: string, opts: Partial<CompileOptions> = {}): PolicySet {
  const { set, problems } = compilePolicySet([{ file: 'rules.yaml', text: yaml }], { defaultAction: 'deny', revision: 'test-rev', ...opts })
  if (set === undefined) throw new Error(problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n'))
  return set
}

/** The problems compiling these files gives, formatted `file:line:col: message`. */
export function problemsOf (files: Record<string, string>, opts: Partial<CompileOptions> = {}): string[] {
  const sources = Object.entries(files).map(([file, text]) => ({ file, text }))
  return compilePolicySet(sources, { defaultAction: 'deny', revision: 'test-rev', ...opts }).problems
    .map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`)
}

interface EventInput {
  protocol?: 'postgres' | 'http-llm'
  target?: string
  sub?: string
  groups?: string[]
  email?: string
  /** SQL facts already computed, as a plugin would pass them. */
  statements?: SqlStatement[]
  llm?: Partial<LlmFacts>
}

export function event (input: EventInput): GatewayEvent {
  const protocol = input.protocol ?? (input.llm !== undefined ? 'http-llm' : 'postgres')
  return {
    id: 'evt-1',
    session: { id: 'sess-1', protocol, target: input.target ?? (protocol === 'postgres' ? 'analytics' : 'openai'), client: { address: '127.0.0.1' } },
    identity: { sub: input.sub ?? 'alice', iss: 'https://idp.test/', groups: input.groups ?? [], via: 'oidc', ...(input.email === undefined ? {} : { email: input.email }) },
    phase: 'request',
    ...(input.statements === undefined ? {} : { sql: { text: 'sql', statements: input.statements } }),
    ...(input.llm === undefined ? {} : { llm: { provider: 'openai', route: '/v1/chat/completions', stream: false, text: [], ...input.llm } })
  }
}

/** A statement as the SQL analyzer reports it. */
export function stmt (operation: string, tables: string[] = [], extra: Partial<SqlStatement> = {}): SqlStatement {
  return {
    operation,
    tables: tables.map((t) => {
      const [a, b] = t.split('.')
      return b === undefined ? { name: a, access: 'read' as const } : { schema: a, name: b, access: 'read' as const }
    }),
    ...extra
  }
}
