/**
 * mitata micro-bench of what one LLM request costs the audit room: the decision line body of a typical
 * http-llm entry (masked JSON chat call, usage, masked counts), sealed onto the hash chain.
 *
 * Run: npx tsx bench/llm/audit-line.ts
 * Read with bench/llm/gatehouse-load.ts: this is the part of gatehouse's CPU per call spent on audit.
 */
import { bench, group, run } from 'mitata'
import type { AuditEntry } from '../../src/core/audit/index.js'
import { canonicalJson } from '../../src/core/audit/index.js'
import { sealLine, GENESIS_HASH } from '../../src/core/audit/hash-chain.js'
import { decisionLineBody } from '../../src/core/audit/line-fields.js'

const entry: AuditEntry = {
  event: {
    id: '01a249fca1b5-0000-c0ffee',
    session: { id: '01a249fca1a0-0000-beef', protocol: 'http-llm', target: 'openai', client: { address: '127.0.0.1' } },
    identity: { sub: 'alice', iss: 'gatehouse-dev', groups: ['analysts'], via: 'dev', expiresAt: 1_900_000_000 },
    phase: 'request',
    llm: { provider: 'openai', route: '/v1/chat/completions', stream: false, text: [], model: 'gpt-4o-mini' }
  },
  decision: { action: 'allow', rules: ['allow-llm', 'analysts-llm-budget'], shadow: [], masks: [], limits: [], policyRevision: 'b5e1c0ffee42' },
  requestId: '01a249fca1b5-0000-c0ffee',
  summary: { route: '/v1/chat/completions', model: 'gpt-4o-mini', stream: false, status: 200 },
  masked: {},
  usage: { inputTokens: 42, outputTokens: 17 },
  latencyMs: 0.61
}
const time = new Date()
const head = { seq: 41, hash: GENESIS_HASH }
const body = decisionLineBody(entry, time)
const parsed = JSON.parse(JSON.stringify({ ...body, seq: 42, prev: GENESIS_HASH }))

group('audit line of one LLM request', () => {
  bench('decisionLineBody', () => decisionLineBody(entry, time))
  bench('canonicalJson (parsed line)', () => canonicalJson(parsed))
  bench('sealLine', () => sealLine(body, head))
  bench('decisionLineBody + sealLine', () => sealLine(decisionLineBody(entry, time), head))
})

await run()
