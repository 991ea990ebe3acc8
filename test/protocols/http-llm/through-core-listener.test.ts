import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import OpenAI from 'openai'
import Anthropic from '@anthropic-ai/sdk'
import { devModeConfig } from '../../../src/core/config/index.js'
import { createIdentityVerifier, mintDevToken } from '../../../src/core/identity/index.js'
import { createPolicyStore } from '../../../src/core/policy/index.js'
import { createAuditLog, verifyAuditFile } from '../../../src/core/audit/index.js'
import { detectEntities } from '../../../src/core/pii/index.js'
import { startGateway } from '../../../src/core/server/index.js'
import { createHttpLlmPlugin } from '../../../src/protocols/http-llm/index.js'
import { startFakeLlm } from '../../fixtures/fake-llm/index.js'

t.test('through the real core listener, dev-issuer token, example policies and the audit chain', async t => {
  const fake = await startFakeLlm()
  const dir = await mkdtemp(join(tmpdir(), 'gh-llm-e2e-'))
  process.env.GH_E2E_OPENAI_KEY = 'sk-e2e-openai'
  process.env.GH_E2E_ANTHROPIC_KEY = 'sk-ant-e2e'
  const dev = devModeConfig(dir, { GATEHOUSE_DEV_LLM_ADDRESS: '127.0.0.1:0' })
  const config = {
    ...dev,
    listeners: dev.listeners.filter(l => l.name === 'llm'),
    targets: [
      { ...dev.targets[0], upstream: `${fake.url}/v1`, apiKeyEnv: 'GH_E2E_OPENAI_KEY', demo: false },
      { ...dev.targets[1], upstream: fake.url, apiKeyEnv: 'GH_E2E_ANTHROPIC_KEY', demo: false }
    ],
    policies: { ...dev.policies, dir: fileURLToPath(new URL('../../../policies', import.meta.url)) },
    audit: { sinks: [{ type: 'file' as const, path: join(dir, 'audit.log') }], recordSessions: false }
  }
  const log = pino({ level: 'silent' })
  const identity = await createIdentityVerifier(config.identity, { dataDir: dir, log })
  const audit = await createAuditLog(config.audit, { log, dataDir: dir })
  const policy = await createPolicyStore({
    dir: config.policies.dir, defaultAction: 'deny', reloadRequiresTests: false, log, audit, watch: false, detectEntities,
    analyzeSql: () => { throw new Error('no SQL here') }
  })
  const gateway = await startGateway({ config, log, services: { config, log, identity, policy, audit }, plugins: [createHttpLlmPlugin] })
  t.teardown(async () => {
    await gateway.close(); await policy.close(); await identity.close?.(); await fake.close()
    await rm(dir, { recursive: true, force: true })
  })
  const base = `http://127.0.0.1:${gateway.listeners[0].port}`
  const token = await mintDevToken({ dataDir: dir, sub: 'alice', groups: ['analysts'], ttlS: 600 })

  fake.behave({ text: 'Forwarded to ops@example.com.', deltas: 8 })
  const openai = new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: token, maxRetries: 0 })
  const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Forward this to ops@example.com' }] })
  t.equal(r.choices[0].message.content, 'Forwarded to [EMAIL].')
  let streamed = ''
  const anthropic = new Anthropic({ baseURL: `${base}/anthropic`, apiKey: token, maxRetries: 0 })
  await anthropic.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }).on('text', d => { streamed += d }).finalMessage()
  t.equal(streamed, 'Forwarded to [EMAIL].')
  t.equal(fake.requests[0].headers.authorization, 'Bearer sk-e2e-openai')
  t.equal(fake.requests[1].headers['x-api-key'], 'sk-ant-e2e')
  t.notOk(fake.requests.some(q => JSON.stringify(q).includes(token)), 'the dev token never reached the upstream')

  const forged = await new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: token.slice(0, -4) + 'AAAA', maxRetries: 0 }).models.list().catch(e => e)
  t.equal(forged.status, 401, 'a token with a broken signature is refused')

  await audit.close()
  const lines = (await readFile(join(dir, 'audit.log'), 'utf8')).trim().split('\n').map(l => JSON.parse(l)).filter(l => l.kind === 'decision')
  t.match(lines, [
    { protocol: 'http-llm', target: 'openai', action: 'allow', rules: ['allow-llm'], identity: { sub: 'alice' }, summary: { route: '/v1/chat/completions', status: 200 }, usage: { inputTokens: 11, outputTokens: 7 }, masked: { EMAIL: 2 } },
    { protocol: 'http-llm', target: 'anthropic', summary: { route: '/v1/messages', stream: true }, usage: { inputTokens: 11, outputTokens: 7 }, masked: { EMAIL: 1 } }
  ])
  t.notOk(JSON.stringify(lines).includes('ops@example.com'), 'no unmasked PII in the audit log')
  t.match(await verifyAuditFile(join(dir, 'audit.log')), { ok: true })
})
