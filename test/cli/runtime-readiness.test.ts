import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { loadConfig, PACKAGE_POLICIES_DIR } from '../../src/core/config/index.js'
import { createLogger } from '../../src/core/log/index.js'
import { ensureLocalCa } from '../../src/core/tls/index.js'
import { runGatehouse } from '../../src/cli/runtime.js'

/** A loopback port nothing listens on. */
async function closedPort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as { port: number }
  await new Promise((resolve) => srv.close(resolve))
  return port
}

const quiet = createLogger({ destination: new Writable({ write (_c, _e, cb) { cb() } }) })

t.test('readyz names what is not ready; healthz only says the process is up', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-ready-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const tls = await ensureLocalCa(join(dir, 'certs'), [])
  await writeFile(join(dir, 'server.crt'), tls.cert)
  await writeFile(join(dir, 'server.key'), tls.key)
  const deadPort = await closedPort()
  await writeFile(join(dir, 'gatehouse.yaml'), `
listeners:
  - {name: pg, address: "127.0.0.1:0", protocols: [postgres], tls: {cert: server.crt, key: server.key}}
  - {name: llm, address: "127.0.0.1:0", protocols: [http-llm]}
admin: {address: "127.0.0.1:0"}
identity: {dev_issuer: true}
targets:
  - {name: analytics, protocol: postgres, upstream: "postgres://svc@127.0.0.1:${deadPort}/analytics", password_env: NOPE_UNSET}
policies: {dir: ${JSON.stringify(PACKAGE_POLICIES_DIR)}}
audit: {sinks: [{type: file, path: audit.log}]}
`)
  const config = await loadConfig({ cwd: dir })
  const running = await runGatehouse(config, quiet)
  t.teardown(async () => { await running.stop() })
  const admin = `http://127.0.0.1:${running.admin.address.port}`

  const health = await fetch(`${admin}/healthz`)
  t.equal(health.status, 200)
  const ready = await fetch(`${admin}/readyz`)
  const body = await ready.json() as { status: string; checks: Array<{ name: string; ok: boolean; detail?: string }> }
  t.equal(ready.status, 503, 'not ready while the upstream is down')
  t.equal(body.status, 'not_ready')
  t.ok(body.checks.find((c) => c.name === 'listener:pg')?.ok, 'listeners are bound')
  t.ok(body.checks.find((c) => c.name === 'policies')?.ok, 'policies are loaded')
  const failing = body.checks.filter((c) => !c.ok)
  t.ok(failing.length >= 1 && failing.every((c) => /analytics/.test(c.name + String(c.detail))), `only the dead target fails: ${JSON.stringify(failing)}`)
  t.ok(running.gateway.listeners.find((l) => l.name === 'pg')?.tls, 'tls from files is served')

  const missing = await fetch(`${admin}/nope`)
  t.equal(missing.status, 404)
  t.match(await missing.json(), { error: { type: 'not_found' } })
})

t.test('a start-up failure stops whatever had started, leaving nothing bound', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-fail-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { taken.close() })
  const port = (taken.address() as { port: number }).port
  await writeFile(join(dir, 'gatehouse.yaml'), `
listeners:
  - {name: llm, address: "127.0.0.1:0", protocols: [http-llm]}
  - {name: pg, address: "127.0.0.1:${port}", protocols: [postgres]}
admin: {address: "127.0.0.1:0"}
identity: {dev_issuer: true}
policies: {dir: ${JSON.stringify(PACKAGE_POLICIES_DIR)}}
audit: {sinks: [{type: file, path: audit.log}]}
`)
  const config = await loadConfig({ cwd: dir })
  await t.rejects(runGatehouse(config, quiet), { message: `listener pg cannot bind 127.0.0.1:${port}: EADDRINUSE` })
})
