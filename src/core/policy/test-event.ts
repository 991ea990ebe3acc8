import { formatProblem, type SourceProblem, YamlSource } from '../config/index.js'
import type { Node } from 'yaml'
import type { GatewayEvent, LlmFacts, SqlFacts } from '../events/index.js'
import { PROTOCOLS } from './vocabulary.js'

/** Turns SQL text into the facts rules match on; the CLI injects the libpg-query analyzer. */
export type SqlAnalyzer = (text: string) => SqlFacts

const EVENT_KEYS = ['protocol', 'target', 'identity', 'phase', 'sql', 'llm'] as const
const EVENT_IDENTITY_KEYS = ['sub', 'groups', 'email', 'iss', 'via'] as const
const EVENT_LLM_KEYS = ['provider', 'route', 'model', 'stream', 'text', 'max_tokens'] as const
const PROVIDERS = ['openai', 'anthropic'] as const
const PHASES = ['connect', 'request', 'response'] as const
const VIA = ['oidc', 'api_key', 'dev'] as const
/** The route a provider's chat request arrives on, after the target's path segment. */
const DEFAULT_ROUTE = { openai: '/v1/chat/completions', anthropic: '/v1/messages' } as const

/**
 * Reads an event in the policy-test shape (DESIGN.md "Policy tests"; also what `policy explain`
 * takes) and builds the GatewayEvent a protocol plugin would, with SQL text run through `analyzeSql`.
 */
export function readTestEvent (src: YamlSource, node: Node | null, analyzeSql: SqlAnalyzer, id: string): GatewayEvent | undefined {
  const before = src.problems.length
  const e = src.entries(node, 'event', EVENT_KEYS)
  const need = (key: (typeof EVENT_KEYS)[number]) => {
    const entry = e.get(key)
    if (entry === undefined) src.problem(node, `event has no ${key}`)
    return entry?.value ?? null
  }
  const protocolNode = need('protocol')
  const protocol = e.has('protocol') ? src.oneOf(protocolNode, 'event.protocol', PROTOCOLS) : undefined
  const targetNode = need('target')
  const target = e.has('target') ? src.string(targetNode, 'event.target') : undefined
  const identityNode = need('identity')
  const i = src.entries(identityNode, 'event.identity', EVENT_IDENTITY_KEYS)
  if (e.has('identity') && !i.has('sub')) src.problem(identityNode, 'event.identity has no sub')
  const sub = i.has('sub') ? src.string(i.get('sub')?.value ?? null, 'event.identity.sub') : undefined
  const groups = i.has('groups') ? src.strings(i.get('groups')?.value ?? null, 'event.identity.groups', true)?.map((g) => g.value) : []
  const email = i.has('email') ? src.string(i.get('email')?.value ?? null, 'event.identity.email') : undefined
  const iss = i.has('iss') ? src.string(i.get('iss')?.value ?? null, 'event.identity.iss') : 'policy-test'
  const via = i.has('via') ? src.oneOf(i.get('via')?.value ?? null, 'event.identity.via', VIA) : 'dev'
  const phase = e.has('phase') ? src.oneOf(e.get('phase')?.value ?? null, 'event.phase', PHASES) : 'request'

  let sqlText: string | undefined
  const sqlEntry = e.get('sql')
  if (sqlEntry !== undefined) {
    sqlText = src.string(sqlEntry.value, 'event.sql')
    if (protocol === 'http-llm') src.problem(sqlEntry.key, 'event.sql needs protocol postgres')
  }
  let llm: LlmFacts | undefined
  const llmEntry = e.get('llm')
  if (llmEntry !== undefined) {
    if (protocol === 'postgres') src.problem(llmEntry.key, 'event.llm needs protocol http-llm')
    const l = src.entries(llmEntry.value, 'event.llm', EVENT_LLM_KEYS)
    const provider = l.has('provider') ? src.oneOf(l.get('provider')?.value ?? null, 'event.llm.provider', PROVIDERS) : 'openai'
    const route = l.has('route') ? src.string(l.get('route')?.value ?? null, 'event.llm.route') : DEFAULT_ROUTE[provider ?? 'openai']
    const model = l.has('model') ? src.string(l.get('model')?.value ?? null, 'event.llm.model') : undefined
    const stream = l.has('stream') ? src.boolean(l.get('stream')?.value ?? null, 'event.llm.stream') : false
    const text = l.has('text') ? src.strings(l.get('text')?.value ?? null, 'event.llm.text', true)?.map((t) => t.value) : []
    const maxTokens = l.has('max_tokens') ? src.number(l.get('max_tokens')?.value ?? null, 'event.llm.max_tokens', { min: 1, integer: true }) : undefined
    if (provider !== undefined && route !== undefined && stream !== undefined && text !== undefined) {
      llm = { provider, route, stream, text, ...(model === undefined ? {} : { model }), ...(maxTokens === undefined ? {} : { maxTokens }) }
    }
  }
  if (src.problems.length > before || protocol === undefined || target === undefined || sub === undefined ||
      groups === undefined || iss === undefined || via === undefined || phase === undefined) return undefined

  let sql: SqlFacts | undefined
  if (sqlText !== undefined) {
    try {
      sql = analyzeSql(sqlText)
    } catch (err) {
      src.problem(sqlEntry?.value, `event.sql could not be analyzed: ${(err as Error).message}`)
      return undefined
    }
  }
  return {
    id,
    session: { id: `policy-test-${id}`, protocol, target, client: { address: '127.0.0.1' } },
    identity: { sub, iss, groups, via, ...(email === undefined ? {} : { email }) },
    phase,
    ...(sql === undefined ? {} : { sql }),
    ...(llm === undefined ? {} : { llm })
  }
}

/** Parses one event (JSON or YAML text, policy-test shape) for `policy explain`. */
export function parseTestEvent (file: string, text: string, analyzeSql: SqlAnalyzer): { event?: GatewayEvent; problems: string[] } {
  const problems: SourceProblem[] = []
  const src = new YamlSource(file, text, problems)
  const docs = [...src.documents()].filter((d) => d !== null)
  if (docs.length !== 1 && problems.length === 0) src.problem(docs[1] ?? null, 'expected exactly one event')
  const event = problems.length === 0 ? readTestEvent(src, docs[0], analyzeSql, 'explain') : undefined
  return { ...(event === undefined ? {} : { event }), problems: problems.map(formatProblem) }
}
