import t from 'tap'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, parseConfig } from '../../../src/core/config/index.js'
import { ConfigError } from '../../../src/core/errors.js'

/** The problems a config text produces, with the file name shortened. */
function problemsOf (text: string): string[] {
  try {
    parseConfig('/etc/gatehouse.yaml', text)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.replace('/etc/gatehouse.yaml:', ''))
    throw err
  }
  return []
}

t.test('every problem is reported at once, in file order, as line:col: message', async (t) => {
  const problems = problemsOf(`listeners:
  - name: pg
    adress: 127.0.0.1:15432
    protocols: [postgress]
targets:
  - name: analytics
    protocol: postgres
    upstream: postgres://svc:hunter2@db:5432/analytics
    password: hunter2
policies: { default: maybe }
`)
  t.same(problems, [
    '2:5: listeners[0] needs an address',
    "3:5: unknown key 'adress' in listeners[0] (did you mean 'address'?)",
    "4:17: listeners[0].protocols[0] must be one of postgres, http-llm, got 'postgress' (did you mean 'postgres'?)",
    '8:15: targets[0].upstream must not contain a password; use password_env or password_file',
    '9:15: targets[0].password: secrets never go in gatehouse.yaml; use password_env or password_file',
    "10:22: policies.default must be one of allow, deny, got 'maybe'"
  ])
  t.notOk(problems.join('\n').includes('hunter2'), 'the secret itself is never echoed')
})

t.test('YAML syntax errors carry their position', async (t) => {
  const [p] = problemsOf('listeners: [\n  {name: a\n')
  t.match(p, /^\d+:\d+: /)
})

t.test('wrong types and bad values', async (t) => {
  t.same(problemsOf('listeners: {name: a}\n'), ['1:12: listeners must be a list, got a mapping'])
  t.same(problemsOf('admin: {address: "localhost"}\n'), ['1:18: admin.address must be host:port (e.g. 127.0.0.1:15432 or [::1]:15432)'])
  t.same(problemsOf('limits: {handshake_timeout: soon}\n'), ["1:29: limits.handshake_timeout must be a duration such as 500ms, 30s, 10m or 1h, got 'soon'"])
  t.same(problemsOf('state: mongodb://x\n'), ["1:8: state must be 'memory' or a redis:// URL"])
  t.same(problemsOf('identity: {oidc: [{issuer: "https://idp", audience: gh, algorithms: [HS256]}]}\n'), [
    "1:70: identity.oidc[0].algorithms: 'HS256' is not allowed (use asymmetric algorithms: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519)"
  ])
  t.same(problemsOf('identity: {api_keys: [{name: bot, sha256: abc}]}\n'), [
    '1:43: identity.api_keys[0].sha256 must be 64 hex characters (the SHA-256 of the key, never the key)'
  ])
})

t.test('two listeners on one address are refused', async (t) => {
  const problems = problemsOf(`listeners:
  - {name: a, address: "127.0.0.1:5000", protocols: [postgres]}
admin: {address: "127.0.0.1:5000"}
`)
  t.same(problems, ['3:8: admin and a both bind 127.0.0.1:5000'])
})

t.test('a valid file gets DESIGN.md defaults and resolves paths against its own folder', async (t) => {
  const c = parseConfig('/srv/gh/gatehouse.yaml', `targets:
  - name: analytics
    protocol: postgres
    upstream: postgres://svc@db:5432/analytics
    password_env: ANALYTICS_DB_PASSWORD
  - name: openai
    protocol: http-llm
    provider: openai
    upstream: https://api.openai.com/v1/
    api_key_env: OPENAI_API_KEY
    timeouts: {connect: 2s}
`)
  t.equal(c.devMode, false)
  t.equal(c.dataDir, '/srv/gh/.gatehouse')
  t.equal(c.policies.dir, '/srv/gh/policies')
  t.equal(c.policies.default, 'deny')
  t.same(c.listeners.map((l) => `${l.name}@${l.host}:${l.port}/${l.tls.mode}`), ['pg@127.0.0.1:15432/auto', 'llm@127.0.0.1:18080/off'])
  t.same(c.admin, { host: '127.0.0.1', port: 18081, adminGroups: ['gatehouse-admins'] })
  t.same(c.audit.sinks, [{ type: 'stdout' }])
  const pg = c.targets[0]
  t.equal(pg.protocol === 'postgres' && pg.upstreamTls, 'prefer')
  const llm = c.targets[1]
  t.equal(llm.upstream, 'https://api.openai.com/v1', 'trailing slash trimmed')
  t.equal(llm.protocol === 'http-llm' && llm.timeouts.connectMs, 2000)
})

t.test('no gatehouse.yaml means dev mode; a missing --config file is an error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-cfg-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const dev = await loadConfig({ cwd: dir, env: {} })
  t.equal(dev.devMode, true)
  t.equal(dev.identity.devIssuer, true)
  t.ok(dev.targets.every((x) => x.protocol === 'http-llm' && x.demo === true), 'no API keys: the demo model answers')
  const withKey = await loadConfig({ cwd: dir, env: { OPENAI_API_KEY: 'sk-test' } })
  t.equal(withKey.targets.find((x) => x.name === 'openai')?.protocol === 'http-llm' && (withKey.targets.find((x) => x.name === 'openai') as { demo?: boolean }).demo, false)
  await t.rejects(loadConfig({ cwd: dir, file: 'nope.yaml' }), { code: 'GH_CONFIG', message: 'nope.yaml: config file not found' })
  await writeFile(join(dir, 'gatehouse.yaml'), 'state: memory\n')
  t.equal((await loadConfig({ cwd: dir })).devMode, false, './gatehouse.yaml is picked up')
})

t.test('examples/gatehouse.yaml is a valid config', async (t) => {
  const { fileURLToPath } = await import('node:url')
  const file = fileURLToPath(new URL('../../../examples/gatehouse.yaml', import.meta.url))
  const c = await loadConfig({ file })
  t.same(c.targets.map((x) => x.name), ['analytics', 'openai', 'anthropic'])
})
