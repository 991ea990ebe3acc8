import { request as httpRequest } from 'node:http'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { pino } from 'pino'
import type { Test } from 'tap'
import type { GatehouseConfig, HttpLlmTargetConfig } from '../../../src/core/config/index.js'
import { AuthError } from '../../../src/core/errors.js'
import type { AuditEntry, AuditLog } from '../../../src/core/audit/index.js'
import type { Decision, GatewayEvent, Identity } from '../../../src/core/events/index.js'
import type { GatewayServices, ProtocolPlugin } from '../../../src/core/plugin/index.js'
import type { PolicySet, PolicyStore } from '../../../src/core/policy/index.js'
import { createHttpLlmPluginWith, type HttpLlmPluginOptions } from '../../../src/protocols/http-llm/index.js'
import { startFakeLlm, type FakeLlm } from '../../fixtures/fake-llm/index.js'

/** The token the test verifier accepts, and who it is. */
export const TOKEN = 'tok-alice-oidc'
export const ALICE: Identity = { sub: 'alice', iss: 'https://idp.test/', groups: ['analysts'], via: 'oidc' }
/** The real upstream keys gatehouse injects; they must never reach a client. */
export const OPENAI_KEY = 'sk-upstream-openai-0123456789abcdef'
export const ANTHROPIC_KEY = 'sk-ant-upstream-0123456789abcdef'

export const allow = (over: Partial<Decision> = {}): Decision =>
  ({ action: 'allow', rules: ['allow-test'], shadow: [], masks: [], limits: [], policyRevision: 'test-rev', ...over })

export interface Gateway {
  /** http://127.0.0.1:PORT, gatehouse's listener. */
  url: string
  fake: FakeLlm
  plugin: ProtocolPlugin
  /** Every event policy was asked about. */
  events: GatewayEvent[]
  audit: AuditEntry[]
  /** Decides every request from now on. */
  decide: (event: GatewayEvent) => Decision
}

export interface GatewayOptions extends HttpLlmPluginOptions {
  targets?: (fakeUrl: string) => HttpLlmTargetConfig[]
  policy?: PolicyStore
  /** Tokens the test verifier accepts (default: TOKEN -> ALICE). */
  tokens?: Record<string, Identity>
}

export function llmTarget (name: string, provider: 'openai' | 'anthropic', upstream: string, over: Partial<HttpLlmTargetConfig> = {}): HttpLlmTargetConfig {
  return {
    name, protocol: 'http-llm', provider, upstream,
    apiKeyEnv: provider === 'openai' ? 'GH_TEST_OPENAI_KEY' : 'GH_TEST_ANTHROPIC_KEY',
    timeouts: { connectMs: 2_000, headersMs: 5_000, bodyMs: 5_000 },
    maxBodyBytes: 1024 * 1024,
    ...over
  }
}

process.env.GH_TEST_OPENAI_KEY = OPENAI_KEY
process.env.GH_TEST_ANTHROPIC_KEY = ANTHROPIC_KEY

/** gatehouse's http-llm plugin on a loopback port in front of a fake upstream; everything closed in teardown. */
export async function startGateway (t: Test, opts: GatewayOptions = {}): Promise<Gateway> {
  const fake = await startFakeLlm()
  const events: GatewayEvent[] = []
  const audit: AuditEntry[] = []
  const gw = { decide: (_e: GatewayEvent) => allow() }
  const targets = opts.targets?.(fake.url) ?? [
    llmTarget('openai', 'openai', `${fake.url}/v1`),
    llmTarget('anthropic', 'anthropic', fake.url)
  ]
  const policySet: PolicySet = {
    revision: 'test-rev', defaultAction: 'deny', ruleCount: 1, recognizers: [],
    decide: (e) => { events.push(e); return gw.decide(e) }
  }
  const policy: PolicyStore = opts.policy ?? {
    current: () => policySet,
    reload: async () => ({ ok: true, revision: 'test-rev' }),
    status: () => ({ revision: 'test-rev', loadedAt: new Date(), rules: 1 }),
    close: async () => {}
  }
  const auditLog: AuditLog = {
    record: (e) => { audit.push(e) },
    system: () => {},
    stats: () => ({ lines: audit.length, seq: audit.length, dropped: {} }),
    close: async () => {}
  }
  const services: GatewayServices = {
    config: { targets } as unknown as GatehouseConfig,
    log: pino({ level: 'silent' }),
    identity: {
      verify: async (c) => {
        const who = (opts.tokens ?? { [TOKEN]: ALICE })[c]
        if (who === undefined) throw new AuthError('token not accepted')
        return who
      }
    },
    policy,
    audit: auditLog
  }
  const plugin = createHttpLlmPluginWith(services, opts)
  let n = 0
  const server: Server = createServer(socket => {
    plugin.handle(socket, { id: `conn-${++n}`, listener: {} as never, remoteAddress: '127.0.0.1', isLoopback: true, encrypted: false, log: services.log })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    await plugin.close(0)
    await new Promise(resolve => server.close(resolve))
    await fake.close()
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    fake,
    plugin,
    events,
    audit,
    set decide (fn: (e: GatewayEvent) => Decision) { gw.decide = fn },
    get decide () { return gw.decide }
  }
}

/** Everything a client received, as one string, for "the key never appears" checks. */
export function everythingReceived (res: { status: number; headers: Headers }, body: string): string {
  return `${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${body}`
}

export interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A request with exactly these headers (fetch refuses hop-by-hop ones). */
export function rawRequest (url: string, method: string, headers: Record<string, string>, body?: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}
