/**
 * gatehouse for the benchmark, in its own process: dev-mode config with the OpenAI target pointed at
 * UPSTREAM_URL, the example policies, the dev issuer, audit to a file under a temp dir. Prints one JSON
 * line `{"port":N,"token":"..."}` when ready; exits when stdin closes.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { devModeConfig } from '../../src/core/config/index.js'
import { createIdentityVerifier, mintDevToken } from '../../src/core/identity/index.js'
import { createPolicyStore } from '../../src/core/policy/index.js'
import { createAuditLog } from '../../src/core/audit/index.js'
import { detectEntities } from '../../src/core/pii/index.js'
import { startGateway } from '../../src/core/server/index.js'
import { createHttpLlmPlugin } from '../../src/protocols/http-llm/index.js'

const upstream = process.env.UPSTREAM_URL
if (upstream === undefined) throw new Error('UPSTREAM_URL is not set')
const dir = await mkdtemp(join(tmpdir(), 'gh-bench-llm-'))
const dev = devModeConfig(dir, { ...process.env, OPENAI_BASE_URL: `${upstream}/v1`, GATEHOUSE_DEV_LLM_ADDRESS: '127.0.0.1:0' })
const config = {
  ...dev,
  listeners: dev.listeners.filter(l => l.name === 'llm'),
  policies: { ...dev.policies, dir: fileURLToPath(new URL('../../policies', import.meta.url)) },
  audit: { sinks: [{ type: 'file' as const, path: join(dir, 'audit.log') }], recordSessions: false }
}
const log = pino({ level: 'warn' })
const identity = await createIdentityVerifier(config.identity, { dataDir: config.dataDir, log })
const audit = await createAuditLog(config.audit, { log, dataDir: config.dataDir })
const policy = await createPolicyStore({
  dir: config.policies.dir, defaultAction: 'deny', reloadRequiresTests: false, log, audit, watch: false, detectEntities,
  analyzeSql: () => { throw new Error('no SQL in this benchmark') }
})
const gateway = await startGateway({ config, log, services: { config, log, identity, policy, audit }, plugins: [createHttpLlmPlugin] })
const token = await mintDevToken({ dataDir: config.dataDir, sub: 'alice', groups: ['analysts'], ttlS: 3600 })
process.stdout.write(JSON.stringify({ port: gateway.listeners[0].port, token }) + '\n')

process.stdin.resume()
process.stdin.on('end', async () => {
  process.stderr.write(`audit lines written: ${audit.stats().lines}\n`)
  await gateway.close()
  await policy.close()
  await audit.close()
  await identity.close?.()
  await rm(dir, { recursive: true, force: true })
  process.exit(0)
})
