import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isSeq, type Node } from 'yaml'
import { ConfigError } from '../errors.js'
import type { ProtocolName } from '../events/index.js'
import { formatProblem, sortProblems, YamlSource, type SourceProblem } from './yaml-source.js'
import type {
  AuditSinkConfig, GatehouseConfig, HttpLlmTargetConfig, ListenerConfig, ListenerTls, OidcIssuerConfig,
  PostgresTargetConfig, TargetConfig, UpstreamTlsMode, ApiKeyConfig
} from './types.js'

export const DEFAULT_CONFIG_FILE = 'gatehouse.yaml'
/** The example policy set shipped with the package; dev mode falls back to it. */
export const PACKAGE_POLICIES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../policies')

const PROTOCOLS: readonly ProtocolName[] = ['postgres', 'http-llm']
const UPSTREAM_TLS: readonly UpstreamTlsMode[] = ['disable', 'prefer', 'require', 'verify-full']
const JWS_ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const
const DEFAULT_TIMEOUTS = { connectMs: 10_000, headersMs: 300_000, bodyMs: 300_000 }
const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
const DEFAULT_LIMITS = { handshakeTimeoutMs: 10_000, maxMessageBytes: 64 * 1024 * 1024, shutdownGraceMs: 10_000 }
/** Keys that would put a secret into the YAML itself; secrets come from env vars or files. */
const SECRET_KEYS = ['password', 'api_key', 'secret', 'key_value', 'token']

type Entries = Map<string, { key: Node; value: Node | null }>

/** The value of an optional key: absent (or empty) reads as undefined, otherwise through `read`. */
/** Where a problem about a key points: its value, or the key itself when the value is empty. */
function at (m: Entries, key: string): Node | null {
  return m.get(key)?.value ?? m.get(key)?.key ?? null
}

function opt<T> (m: Entries, key: string, read: (node: Node) => T | undefined): T | undefined {
  const node = m.get(key)?.value
  return node === undefined || node === null ? undefined : read(node)
}

export interface LoadConfigOptions {
  /** --config FILE; when absent ./gatehouse.yaml, and dev mode when that does not exist either. */
  file?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
}

/** Loads and validates gatehouse.yaml (or dev-mode defaults). Throws ConfigError listing every problem. */
export async function loadConfig (opts: LoadConfigOptions = {}): Promise<GatehouseConfig> {
  const cwd = opts.cwd ?? process.cwd()
  const env = opts.env ?? process.env
  const file = resolve(cwd, opts.file ?? DEFAULT_CONFIG_FILE)
  if (!existsSync(file)) {
    if (opts.file !== undefined) throw new ConfigError([`${opts.file}: config file not found`])
    return devModeConfig(cwd, env)
  }
  return parseConfig(file, await readFile(file, 'utf8'))
}

/** What `gatehouse start` runs with when there is no gatehouse.yaml: everything local and embedded. */
export function devModeConfig (cwd: string, env: NodeJS.ProcessEnv = process.env): GatehouseConfig {
  const dataDir = resolve(cwd, '.gatehouse')
  const localPolicies = resolve(cwd, 'policies')
  const llmTarget = (name: string, provider: 'openai' | 'anthropic', baseEnv: string, keyEnv: string, defaultUpstream: string): HttpLlmTargetConfig => ({
    name,
    protocol: 'http-llm',
    provider,
    upstream: env[baseEnv] ?? defaultUpstream,
    apiKeyEnv: keyEnv,
    timeouts: { ...DEFAULT_TIMEOUTS },
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    // Without a key there is nothing real to call: answer from the deterministic demo model.
    demo: env[keyEnv] === undefined || env[keyEnv] === ''
  })
  // Dev mode binds loopback only; the ports can be moved when the defaults are taken (tests use port 0).
  const at = (name: string, port: number): { host: string; port: number } => {
    const m = /^(.+):(\d+)$/.exec(env[name] ?? '')
    return m !== null ? { host: m[1], port: Number(m[2]) } : { host: '127.0.0.1', port }
  }
  return {
    devMode: true,
    dataDir,
    listeners: [
      { name: 'pg', ...at('GATEHOUSE_DEV_PG_ADDRESS', 15432), protocols: ['postgres'], tls: { mode: 'auto' }, allowLoopbackPlaintext: true },
      { name: 'llm', ...at('GATEHOUSE_DEV_LLM_ADDRESS', 18080), protocols: ['http-llm'], tls: { mode: 'off' }, allowLoopbackPlaintext: true }
    ],
    admin: { ...at('GATEHOUSE_DEV_ADMIN_ADDRESS', 18081), adminGroups: ['gatehouse-admins'] },
    identity: { oidc: [], apiKeys: [], devIssuer: true },
    // The postgres target `analytics` is added once the embedded database is up (see dev-mode.ts).
    targets: [
      llmTarget('openai', 'openai', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'https://api.openai.com/v1'),
      llmTarget('anthropic', 'anthropic', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY', 'https://api.anthropic.com')
    ],
    policies: { dir: existsSync(localPolicies) ? localPolicies : PACKAGE_POLICIES_DIR, default: 'deny', reloadRequiresTests: false },
    state: 'memory',
    audit: { sinks: [{ type: 'file', path: resolve(dataDir, 'audit.log') }], recordSessions: true },
    limits: { ...DEFAULT_LIMITS }
  }
}

/** Validates the text of a config file; every problem is `file:line:col: message`. */
export function parseConfig (file: string, text: string): GatehouseConfig {
  const problems: SourceProblem[] = []
  const r = new YamlSource(file, text, problems)
  const base = dirname(file)
  const [root = null] = r.documents()
  const top = r.entries(root, 'the config', ['data_dir', 'listeners', 'admin', 'identity', 'targets', 'policies', 'state', 'audit', 'limits'])
  const dataDir = resolve(base, opt(top, 'data_dir', (n) => r.string(n, 'data_dir')) ?? '.gatehouse')

  const listeners = readListeners(r, top.get('listeners')?.value ?? null, base)
  const adminMap = r.entries(top.get('admin')?.value ?? null, 'admin', ['address', 'admin_groups'])
  const adminAddress = opt(adminMap, 'address', (n) => readAddress(r, n, 'admin.address')) ?? { host: '127.0.0.1', port: 18081 }

  const identity = readIdentity(r, top.get('identity')?.value ?? null)
  const targets = readTargets(r, top.get('targets')?.value ?? null, base)

  const policiesMap = r.entries(top.get('policies')?.value ?? null, 'policies', ['dir', 'default', 'reload_requires_tests'])
  const state = opt(top, 'state', (n) => r.string(n, 'state')) ?? 'memory'
  if (state !== 'memory' && !/^rediss?:\/\//.test(state)) r.problem(at(top, 'state'), "state must be 'memory' or a redis:// URL")

  const auditMap = r.entries(top.get('audit')?.value ?? null, 'audit', ['sinks', 'record_sessions'])
  const sinks: AuditSinkConfig[] = []
  for (const [i, node] of (opt(auditMap, 'sinks', (n) => r.items(n, 'audit.sinks')) ?? []).entries()) {
    const s = r.entries(node, `audit.sinks[${i}]`, ['type', 'path'])
    const type = opt(s, 'type', (n) => r.oneOf(n, `audit.sinks[${i}].type`, ['stdout', 'file'] as const))
    if (type === 'stdout') sinks.push({ type })
    if (type === 'file') {
      const path = opt(s, 'path', (n) => r.string(n, `audit.sinks[${i}].path`))
      if (path === undefined) r.problem(node, `audit.sinks[${i}] of type file needs a path`)
      else sinks.push({ type, path: resolve(base, path) })
    }
  }

  const limitsMap = r.entries(top.get('limits')?.value ?? null, 'limits', ['handshake_timeout', 'max_message_size', 'shutdown_grace'])
  const config: GatehouseConfig = {
    source: file,
    devMode: false,
    dataDir,
    listeners,
    admin: { ...adminAddress, adminGroups: opt(adminMap, 'admin_groups', (n) => r.strings(n, 'admin.admin_groups', true)?.map((x) => x.value)) ?? ['gatehouse-admins'] },
    identity,
    targets,
    policies: {
      dir: resolve(base, opt(policiesMap, 'dir', (n) => r.string(n, 'policies.dir')) ?? './policies'),
      default: opt(policiesMap, 'default', (n) => r.oneOf(n, 'policies.default', ['allow', 'deny'] as const)) ?? 'deny',
      reloadRequiresTests: opt(policiesMap, 'reload_requires_tests', (n) => r.boolean(n, 'policies.reload_requires_tests')) ?? false
    },
    state,
    audit: {
      sinks: auditMap.has('sinks') ? sinks : [{ type: 'stdout' }],
      recordSessions: opt(auditMap, 'record_sessions', (n) => r.boolean(n, 'audit.record_sessions')) ?? true
    },
    limits: {
      handshakeTimeoutMs: opt(limitsMap, 'handshake_timeout', (n) => r.duration(n, 'limits.handshake_timeout')) ?? DEFAULT_LIMITS.handshakeTimeoutMs,
      maxMessageBytes: opt(limitsMap, 'max_message_size', (n) => r.size(n, 'limits.max_message_size')) ?? DEFAULT_LIMITS.maxMessageBytes,
      shutdownGraceMs: opt(limitsMap, 'shutdown_grace', (n) => r.duration(n, 'limits.shutdown_grace')) ?? DEFAULT_LIMITS.shutdownGraceMs
    }
  }
  const bound = new Map<string, string>()
  // Port 0 asks the OS for a free port: never a clash.
  for (const l of [...listeners, { name: 'admin', ...adminAddress }].filter((x) => x.port !== 0)) {
    const key = `${l.host}:${l.port}`
    if (bound.has(key)) r.problem(at(top, l.name === 'admin' ? 'admin' : 'listeners'), `${l.name} and ${bound.get(key)} both bind ${key}`)
    bound.set(key, l.name)
  }
  if (problems.length > 0) throw new ConfigError(sortProblems(problems).map(formatProblem))
  return config
}

function readAddress (r: YamlSource, node: Node | null, where: string): { host: string; port: number } | undefined {
  const text = r.string(node, where)
  if (text === undefined) return undefined
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text)
  const port = m !== null ? Number(m[3]) : NaN
  if (m === null || port > 65535) {
    r.problem(node, `${where} must be host:port (e.g. 127.0.0.1:15432 or [::1]:15432)`)
    return undefined
  }
  return { host: m[1] ?? m[2], port }
}

function readListeners (r: YamlSource, node: Node | null, base: string): ListenerConfig[] {
  const out: ListenerConfig[] = []
  const names = new Set<string>()
  const items = node === null ? [] : r.items(node, 'listeners')
  if (isSeq(node) && items.length === 0) r.problem(node, 'listeners must name at least one listener')
  for (const [i, item] of items.entries()) {
    const where = `listeners[${i}]`
    const m = r.entries(item, where, ['name', 'address', 'protocols', 'tls', 'allow_loopback_plaintext'])
    const name = opt(m, 'name', (n) => r.string(n, `${where}.name`)) ?? `listener-${i}`
    if (names.has(name)) r.problem(at(m, 'name'), `duplicate listener name '${name}'`)
    names.add(name)
    const address = opt(m, 'address', (n) => readAddress(r, n, `${where}.address`))
    if (!m.has('address')) r.problem(item, `${where} needs an address`)
    const protocols: ProtocolName[] = []
    for (const [j, p] of (opt(m, 'protocols', (n) => r.items(n, `${where}.protocols`)) ?? []).entries()) {
      const v = r.oneOf(p, `${where}.protocols[${j}]`, PROTOCOLS)
      if (v !== undefined) protocols.push(v)
    }
    if (!m.has('protocols')) r.problem(item, `${where} needs protocols (postgres, http-llm)`)
    out.push({
      name,
      host: address?.host ?? '127.0.0.1',
      port: address?.port ?? 0,
      protocols,
      tls: readListenerTls(r, m.get('tls')?.value ?? null, `${where}.tls`, base),
      allowLoopbackPlaintext: opt(m, 'allow_loopback_plaintext', (n) => r.boolean(n, `${where}.allow_loopback_plaintext`)) ?? true
    })
  }
  if (node === undefined || node === null) {
    out.push(
      { name: 'pg', host: '127.0.0.1', port: 15432, protocols: ['postgres'], tls: { mode: 'auto' }, allowLoopbackPlaintext: true },
      { name: 'llm', host: '127.0.0.1', port: 18080, protocols: ['http-llm'], tls: { mode: 'off' }, allowLoopbackPlaintext: true }
    )
  }
  return out
}

function readListenerTls (r: YamlSource, node: Node | null, where: string, base: string): ListenerTls {
  if (node === undefined || node === null) return { mode: 'off' }
  const asWord = (node as { value?: unknown }).value
  if (typeof asWord === 'string' || typeof asWord === 'boolean') {
    const mode = r.oneOf(node, where, ['auto', 'off'] as const)
    return { mode: mode ?? 'off' }
  }
  const m = r.entries(node, where, ['cert', 'key'])
  const cert = opt(m, 'cert', (n) => r.string(n, `${where}.cert`))
  const key = opt(m, 'key', (n) => r.string(n, `${where}.key`))
  if (cert === undefined || key === undefined) {
    r.problem(node, `${where} must be auto, off, or {cert: FILE, key: FILE}`)
    return { mode: 'off' }
  }
  return { mode: 'files', cert: resolve(base, cert), key: resolve(base, key) }
}

function readIdentity (r: YamlSource, node: Node | null): GatehouseConfig['identity'] {
  const m = r.entries(node, 'identity', ['oidc', 'api_keys', 'dev_issuer'])
  const oidc: OidcIssuerConfig[] = []
  for (const [i, item] of (opt(m, 'oidc', (n) => r.items(n, 'identity.oidc')) ?? []).entries()) {
    const where = `identity.oidc[${i}]`
    const o = r.entries(item, where, ['issuer', 'audience', 'groups_claim', 'jwks_uri', 'algorithms', 'clock_tolerance'])
    const issuer = opt(o, 'issuer', (n) => r.string(n, `${where}.issuer`))
    const audience = opt(o, 'audience', (n) => r.string(n, `${where}.audience`))
    if (issuer === undefined || audience === undefined) {
      if (!o.has('issuer') || !o.has('audience')) r.problem(item, `${where} needs issuer and audience`)
      continue
    }
    const algorithms = opt(o, 'algorithms', (n) => r.strings(n, `${where}.algorithms`, true)?.map((x) => x.value)) ?? ['RS256', 'ES256', 'EdDSA']
    for (const item of (opt(o, 'algorithms', (n) => r.items(n, `${where}.algorithms`)) ?? [])) {
      const alg = String((item as { value?: unknown }).value)
      if (!(JWS_ASYMMETRIC as readonly string[]).includes(alg)) {
        r.problem(item, `${where}.algorithms: '${alg}' is not allowed (use asymmetric algorithms: ${JWS_ASYMMETRIC.join(', ')})`)
      }
    }
    const jwksUri = opt(o, 'jwks_uri', (n) => r.string(n, `${where}.jwks_uri`))
    oidc.push({
      issuer,
      audience,
      groupsClaim: opt(o, 'groups_claim', (n) => r.string(n, `${where}.groups_claim`)) ?? 'groups',
      ...(jwksUri !== undefined ? { jwksUri } : {}),
      algorithms,
      clockToleranceS: (opt(o, 'clock_tolerance', (n) => r.duration(n, `${where}.clock_tolerance`)) ?? 30_000) / 1000
    })
  }
  const apiKeys: ApiKeyConfig[] = []
  for (const [i, item] of (opt(m, 'api_keys', (n) => r.items(n, 'identity.api_keys')) ?? []).entries()) {
    const where = `identity.api_keys[${i}]`
    const k = r.entries(item, where, ['name', 'sha256', 'groups', ...SECRET_KEYS])
    rejectSecrets(r, k, where, 'sha256 (the hex SHA-256 of the key)')
    const name = opt(k, 'name', (n) => r.string(n, `${where}.name`))
    const sha256 = opt(k, 'sha256', (n) => r.string(n, `${where}.sha256`))
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(sha256)) r.problem(at(k, 'sha256'), `${where}.sha256 must be 64 hex characters (the SHA-256 of the key, never the key)`)
    if (name === undefined || sha256 === undefined) continue
    apiKeys.push({ name, sha256: sha256.toLowerCase(), groups: opt(k, 'groups', (n) => r.strings(n, `${where}.groups`, true)?.map((x) => x.value)) ?? [] })
  }
  return { oidc, apiKeys, devIssuer: opt(m, 'dev_issuer', (n) => r.boolean(n, 'identity.dev_issuer')) ?? false }
}

function rejectSecrets (r: YamlSource, m: Entries, where: string, instead: string): void {
  for (const key of SECRET_KEYS) {
    if (m.has(key)) r.problem(at(m, key), `${where}.${key}: secrets never go in gatehouse.yaml; use ${instead}`)
  }
}

function readTargets (r: YamlSource, node: Node | null, base: string): TargetConfig[] {
  const out: TargetConfig[] = []
  const names = new Set<string>()
  for (const [i, item] of (node === null ? [] : r.items(node, 'targets')).entries()) {
    const where = `targets[${i}]`
    const keys = ['name', 'protocol', 'provider', 'upstream', 'password_env', 'password_file', 'upstream_tls', 'upstream_ca',
      'api_key_env', 'api_key_file', 'timeouts', 'max_body_size', ...SECRET_KEYS]
    const m = r.entries(item, where, keys)
    const name = opt(m, 'name', (n) => r.string(n, `${where}.name`))
    if (name !== undefined && !/^[A-Za-z0-9_.-]+$/.test(name)) r.problem(at(m, 'name'), `${where}.name may only hold letters, digits, '_', '.' and '-' (it is a database name or URL path segment)`)
    if (name !== undefined && names.has(name)) r.problem(at(m, 'name'), `duplicate target name '${name}'`)
    if (name !== undefined) names.add(name)
    const protocol = opt(m, 'protocol', (n) => r.oneOf(n, `${where}.protocol`, PROTOCOLS))
    const upstream = opt(m, 'upstream', (n) => r.string(n, `${where}.upstream`))
    if (name === undefined || protocol === undefined || upstream === undefined) {
      r.problem(item, `${where} needs name, protocol and upstream`)
      continue
    }
    if (protocol === 'postgres') {
      rejectSecrets(r, m, where, 'password_env or password_file')
      let url: URL | undefined
      try { url = new URL(upstream) } catch { /* reported below */ }
      if (url === undefined || !/^postgres(ql)?:$/.test(url.protocol)) r.problem(at(m, 'upstream'), `${where}.upstream must be a postgres://user@host:port/db URL`)
      else if (url.password !== '') r.problem(at(m, 'upstream'), `${where}.upstream must not contain a password; use password_env or password_file`)
      const t: PostgresTargetConfig = {
        name,
        protocol,
        upstream,
        upstreamTls: opt(m, 'upstream_tls', (n) => r.oneOf(n, `${where}.upstream_tls`, UPSTREAM_TLS)) ?? 'prefer'
      }
      const passwordEnv = opt(m, 'password_env', (n) => r.string(n, `${where}.password_env`))
      const passwordFile = opt(m, 'password_file', (n) => r.string(n, `${where}.password_file`))
      const ca = opt(m, 'upstream_ca', (n) => r.string(n, `${where}.upstream_ca`))
      if (passwordEnv !== undefined) t.passwordEnv = passwordEnv
      if (passwordFile !== undefined) t.passwordFile = resolve(base, passwordFile)
      if (ca !== undefined) t.upstreamCa = resolve(base, ca)
      out.push(t)
    } else {
      rejectSecrets(r, m, where, 'api_key_env or api_key_file')
      const provider = opt(m, 'provider', (n) => r.oneOf(n, `${where}.provider`, ['openai', 'anthropic'] as const))
      if (!m.has('provider')) r.problem(item, `${where} needs a provider (openai or anthropic)`)
      try {
        const url = new URL(upstream)
        if (!/^https?:$/.test(url.protocol)) throw new Error('scheme')
        if (url.username !== '' || url.password !== '') r.problem(at(m, 'upstream'), `${where}.upstream must not contain credentials; use api_key_env or api_key_file`)
      } catch {
        r.problem(at(m, 'upstream'), `${where}.upstream must be an http(s) URL`)
      }
      const tm = r.entries(m.get('timeouts')?.value ?? null, `${where}.timeouts`, ['connect', 'headers', 'body'])
      const t: HttpLlmTargetConfig = {
        name,
        protocol,
        provider: provider ?? 'openai',
        upstream: upstream.replace(/\/+$/, ''),
        timeouts: {
          connectMs: opt(tm, 'connect', (n) => r.duration(n, `${where}.timeouts.connect`)) ?? DEFAULT_TIMEOUTS.connectMs,
          headersMs: opt(tm, 'headers', (n) => r.duration(n, `${where}.timeouts.headers`)) ?? DEFAULT_TIMEOUTS.headersMs,
          bodyMs: opt(tm, 'body', (n) => r.duration(n, `${where}.timeouts.body`)) ?? DEFAULT_TIMEOUTS.bodyMs
        },
        maxBodyBytes: opt(m, 'max_body_size', (n) => r.size(n, `${where}.max_body_size`)) ?? DEFAULT_MAX_BODY_BYTES
      }
      const keyEnv = opt(m, 'api_key_env', (n) => r.string(n, `${where}.api_key_env`))
      const keyFile = opt(m, 'api_key_file', (n) => r.string(n, `${where}.api_key_file`))
      if (keyEnv !== undefined) t.apiKeyEnv = keyEnv
      if (keyFile !== undefined) t.apiKeyFile = resolve(base, keyFile)
      out.push(t)
    }
  }
  return out
}
