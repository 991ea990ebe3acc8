/**
 * decide() over a generated 200-rule set: p50/p99 microseconds per decision for an SQL event whose
 * facts are already computed (a cached SQL text), an SQL event including a fresh libpg-query parse,
 * and an LLM event with prompt patterns to scan. Not a test.
 *
 *   node --import tsx bench/policy-decide.ts
 */
import type { GatewayEvent } from '../src/core/events/index.js'
import { fileURLToPath } from 'node:url'
import { compilePolicySet, loadPolicySet, type PolicySet } from '../src/core/policy/index.js'
import { createSqlAnalyzer } from '../src/protocols/postgres/sql/index.js'

const RULES = 200
const WARMUP = 20_000
const SAMPLES = 200_000

/**
 * A rule set shaped like a large organisation's: mostly group/target/operation rules, some prompt
 * and model rules. `dense`: every read and LLM allow rule also names the caller's group, so one
 * request matches ~80 rules (a worst case); otherwise it matches a handful, as in practice.
 */
function generateRules (n: number, dense: boolean): string {
  const shared = dense ? ', analysts' : ''
  const docs: string[] = []
  const ops = ['select', 'insert', 'update', 'delete', 'ddl:create', 'ddl:drop', 'truncate', 'copy']
  for (let i = 0; i < n; i++) {
    const group = `team-${i % 40}`
    const target = `db-${i % 10}`
    switch (i % 10) {
      case 0: case 1: case 2:
        docs.push(`id: allow-read-${i}\nmatch: { protocol: postgres, target: [${target}, analytics], identity: { groups: [${group}${shared}] }, sql: { operations: [select, show], tables: [customers, orders, 'reporting_${i}.*', 'pg_catalog.*'] } }\naction: allow`)
        break
      case 3:
        docs.push(`id: deny-ddl-${i}\nmatch: { identity: { groups: [${group}] }, sql: { operations: [${ops[4]}, ${ops[5]}, ${ops[6]}] } }\naction: deny`)
        break
      case 4:
        docs.push(`id: approve-writes-${i}\nmatch: { target: [${target}], identity: { groups: [${group}] }, sql: { operations: [insert, update, delete], tables: ['table_${i}*'] } }\naction: require_approval\napproval: { approvers: { groups: [dba] } }`)
        break
      case 5:
        docs.push(`id: mask-${i}\nmatch: { target: [${target}, analytics], sql: { tables: ['customers', 'secret_${i}'] } }\naction: mask\nmask: { columns: [customers.email], entities: [EMAIL] }`)
        break
      case 6:
        docs.push(`id: allow-llm-${i}\nmatch: { protocol: http-llm, identity: { groups: [${group}${shared}] }, llm: { model: ['gpt-4o*', 'claude-${i}-*'] } }\naction: allow`)
        break
      case 7:
        docs.push(`id: budget-${i}\nmatch: { protocol: http-llm, identity: { groups: [${group}] } }\naction: rate_limit\nlimit: { requests: 60/min, per: user }`)
        break
      case 8:
        docs.push(i % 40 === 8
          ? `id: injection-${i}\nmatch: { prompt: { patterns: ['(?i)ignore\\s+(all\\s+)?previous\\s+instructions${i}', '(?i)system\\s+prompt\\s+${i}'] } }\naction: deny`
          : `id: unbounded-${i}\nmatch: { identity: { groups: [${group}] }, sql: { without_where: true } }\naction: deny\nmode: shadow`)
        break
      default:
        docs.push(`id: sub-${i}\nmatch: { identity: { sub: [user-${i}], email: ['*@team${i}.example.com'] } }\naction: allow`)
    }
  }
  return docs.join('\n---\n')
}

function percentiles (samples: Float64Array): { p50: number; p99: number } {
  const sorted = Float64Array.from(samples).sort()
  return { p50: sorted[Math.floor(sorted.length * 0.5)], p99: sorted[Math.floor(sorted.length * 0.99)] }
}

/** Times `fn` per call with hrtime; the timer's own cost (~0.05 µs) is included. */
function measure (name: string, fn: (i: number) => unknown, samples = SAMPLES): void {
  for (let i = 0; i < WARMUP; i++) fn(i)
  const out = new Float64Array(samples)
  let sink = 0
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint()
    const r = fn(i)
    out[i] = Number(process.hrtime.bigint() - start) / 1000
    if (r !== undefined) sink++
  }
  const { p50, p99 } = percentiles(out)
  console.log(`${name.padEnd(52)} p50 ${p50.toFixed(2).padStart(7)} µs   p99 ${p99.toFixed(2).padStart(7)} µs   (${samples} runs${sink === 0 ? ', no result' : ''})`)
}

function compile (dense: boolean): PolicySet {
  const { set, problems } = compilePolicySet([{ file: 'generated.yaml', text: generateRules(RULES, dense) }], { defaultAction: 'deny', revision: 'bench' })
  if (set === undefined) throw new Error(problems.map((p) => `${p.line}:${p.col} ${p.message}`).join('\n'))
  return set
}
const analyzer = await createSqlAnalyzer()
const noCache = await createSqlAnalyzer({ cacheSize: 0 })

const base = {
  id: 'e1',
  identity: { sub: 'alice', iss: 'https://idp.example.com/', groups: ['analysts', 'team-0'], email: 'alice@example.com', via: 'oidc' as const },
  phase: 'request' as const
}
const SQL = 'SELECT c.name, c.email, sum(o.amount_cents) FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.city = $1 GROUP BY 1, 2'
const sqlEvent: GatewayEvent = { ...base, session: { id: 's1', protocol: 'postgres', target: 'analytics', client: { address: '10.0.0.1' } }, sql: analyzer.analyze(SQL) }
const prompt = 'You are a helpful analytics assistant. '.repeat(12)
const llmEvent: GatewayEvent = {
  ...base,
  session: { id: 's2', protocol: 'http-llm', target: 'openai', client: { address: '10.0.0.1' } },
  llm: { provider: 'openai', route: '/v1/chat/completions', model: 'gpt-4o-mini', stream: true, text: [prompt, 'Summarise last week\'s orders by city and flag anomalies.'] }
}

const fresh = Array.from({ length: 50_000 }, (_, i) => SQL.replace('$1', `'city-${i}'`))
console.log(`policy decide(): ${RULES} rules, node ${process.version}; prompt ${llmEvent.llm?.text.join('').length} chars`)
for (const dense of [false, true]) {
  const set = compile(dense)
  const summary = (e: GatewayEvent): string => {
    const d = set.decide(e)
    return `${d.action} by ${d.rules.length} rules, ${d.masks.length} masks, ${d.limits.length} limits, ${d.shadow.length} shadow`
  }
  console.log(`\n${dense ? 'dense set (worst case: every read/LLM allow rule matches)' : 'typical set'}: SQL event ${summary(sqlEvent)}; LLM event ${summary(llmEvent)}`)
  measure('decide, SQL event, facts precomputed (cached text)', () => set.decide(sqlEvent))
  measure('analyze (cache hit) + decide, SQL event', () => set.decide({ ...sqlEvent, sql: analyzer.analyze(SQL) }))
  measure('fresh parse + decide, SQL event', (i) => set.decide({ ...sqlEvent, sql: noCache.analyze(fresh[i % fresh.length]) }), 20_000)
  measure('decide, LLM event', () => set.decide(llmEvent))
}

// The example set (policies/) has a prompt.entities rule for every LLM request: this includes
// running the PII engine's detector over the prompt.
const examples = await loadPolicySet(fileURLToPath(new URL('../policies', import.meta.url)), { defaultAction: 'deny' })
console.log(`\nexample set (${examples.ruleCount} rules), PII detector included: LLM event ${examples.decide(llmEvent).action}`)
measure('decide, SQL event, facts precomputed', () => examples.decide(sqlEvent))
measure('decide, LLM event', () => examples.decide(llmEvent), 50_000)
