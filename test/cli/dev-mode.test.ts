import t, { type Test } from 'tap'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'gatehouse.js')

interface Started { child: ChildProcess; stdout: () => string; cluster: string; pgPort: number; llmPort: number; adminPort: number; caFile: string }

/** PIDs of postgres servers whose data directory lies under `dir`. */
function postgresUnder (dir: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `postgres -D ${dir}`]).toString().trim().split('\n').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

async function waitFor (what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** `gatehouse start` in an empty folder (so: dev mode), on free ports. */
async function startDevMode (t: Test, cwd: string): Promise<Started> {
  const child = spawn(process.execPath, [bin, 'start'], {
    cwd,
    env: {
      ...process.env,
      GATEHOUSE_DEV_PG_ADDRESS: '127.0.0.1:0',
      GATEHOUSE_DEV_LLM_ADDRESS: '127.0.0.1:0',
      GATEHOUSE_DEV_ADMIN_ADDRESS: '127.0.0.1:0',
      OPENAI_API_KEY: '',
      ANTHROPIC_API_KEY: ''
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { err += d })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  await waitFor('the connection help', () => out.includes('admin:') || child.exitCode !== null).catch((e: Error) => { throw new Error(`${e.message}\n${err}`) })
  if (child.exitCode !== null) throw new Error(`gatehouse exited ${child.exitCode}: ${err}`)
  const port = (re: RegExp): number => Number(re.exec(out)?.[1])
  return {
    child,
    stdout: () => out,
    cluster: /"cluster":"([^"]+)"/.exec(err)?.[1] ?? '',
    pgPort: port(/@localhost:(\d+)\/analytics/),
    llmPort: port(/http:\/\/localhost:(\d+)\/openai/),
    adminPort: port(/admin: +http:\/\/127\.0\.0\.1:(\d+)\//),
    caFile: /sslrootcert=([^"&\s]+)/.exec(out)?.[1] ?? ''
  }
}

async function exited (child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  return await new Promise((resolve) => child.once('exit', (code) => { resolve(code) }))
}


t.test('dev mode: starts with everything embedded, serves real clients, stops clean', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'gatehouse-dev-'))
  await chmod(cwd, 0o755)
  t.teardown(async () => { await rm(cwd, { recursive: true, force: true }) })
  const dataDir = join(cwd, '.gatehouse')

  const gw = await startDevMode(t, cwd)
  t.match(gw.stdout(), /PGPASSWORD=\$TOKEN psql/, 'prints how to connect with psql')
  t.match(gw.stdout(), /gatehouse token --sub alice/, 'prints how to get a dev token')
  t.ok(gw.pgPort > 0 && gw.llmPort > 0 && gw.adminPort > 0)
  t.equal(postgresUnder(dataDir).length, 1, 'one embedded postgres is running')

  const health = await (await fetch(`http://127.0.0.1:${gw.adminPort}/healthz`)).json()
  t.same(health, { status: 'ok' })
  const ready = await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`)
  const readyBody = await ready.json() as { status: string; checks: Array<{ name: string; ok: boolean }> }
  t.equal(ready.status, 200, `readyz: ${JSON.stringify(readyBody)}`)
  t.ok(readyBody.checks.some((c) => c.name === 'policies' && c.ok))

  const token = execFileSync(process.execPath, [bin, 'token', '--sub', 'alice', '--groups', 'analysts'], { cwd }).toString()
  t.match(token, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'gatehouse token prints only the token')

  const client = new pg.Client({
    host: 'localhost',
    port: gw.pgPort,
    user: 'alice',
    password: token.trim(),
    database: 'analytics',
    ssl: { ca: await readFile(gw.caFile, 'utf8') }
  })
  await client.connect()
  const { rows } = await client.query('SELECT count(*)::int AS n FROM customers')
  t.ok(rows[0].n >= 100, 'the seeded customers are there, through gatehouse over verified TLS')
  const sample = await client.query('SELECT name, email, upper(email) AS shout FROM customers ORDER BY id LIMIT 2')
  t.same(sample.rows.map((r) => [r.email, r.shout]), [['[EMAIL]', '[EMAIL]'], ['[EMAIL]', '[EMAIL]']], 'the example mask-pii rule masks result rows')
  await client.end()

  gw.child.kill('SIGTERM')
  t.equal(await exited(gw.child), 0, 'SIGTERM exits 0')
  t.same(postgresUnder(dataDir), [], 'no postgres left behind')

  const again = await startDevMode(t, cwd)
  t.equal(again.caFile, gw.caFile, 'the data dir (CA, database) is reused on restart')
  again.child.kill('SIGINT')
  t.equal(await exited(again.child), 0, 'Ctrl-C exits 0')
  t.same(postgresUnder(dataDir), [], 'no postgres left behind after Ctrl-C')
})

t.test('dev mode: even a SIGKILLed gatehouse leaves no postgres behind', async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'gatehouse-dev-'))
  await chmod(cwd, 0o755)
  t.teardown(async () => { await rm(cwd, { recursive: true, force: true }) })
  const gw = await startDevMode(t, cwd)
  const dataDir = join(cwd, '.gatehouse')
  t.equal(postgresUnder(dataDir).length, 1)
  gw.child.kill('SIGKILL')
  await exited(gw.child)
  await waitFor('postgres to stop', () => postgresUnder(dataDir).length === 0, 20_000)
  t.pass('the embedded postgres followed its parent')
})

t.test('dev mode as root in a private folder: the cluster moves where postgres can reach it', { skip: process.getuid?.() !== 0 && 'only root runs postgres as another user' }, async (t) => {
  const parent = await mkdtemp(join(tmpdir(), 'gatehouse-private-'))
  t.teardown(async () => { await rm(parent, { recursive: true, force: true }) })
  await chmod(parent, 0o700)
  const { mkdir } = await import('node:fs/promises')
  const cwd = join(parent, 'project')
  await mkdir(cwd)
  const gw = await startDevMode(t, cwd)
  t.match(gw.cluster, /^\/var\/lib\/gatehouse\/dev-[0-9a-f]{12}\/pg$/, 'the cluster moved to /var/lib/gatehouse')
  t.teardown(async () => { await rm(dirname(gw.cluster), { recursive: true, force: true }) })
  t.equal(postgresUnder(gw.cluster).length, 1, 'and runs from there')
  const token = execFileSync(process.execPath, [bin, 'token', '--sub', 'alice', '--groups', 'analysts'], { cwd }).toString().trim()
  const client = new pg.Client({ host: 'localhost', port: gw.pgPort, user: 'alice', password: token, database: 'analytics', ssl: { ca: await readFile(gw.caFile, 'utf8') } })
  await client.connect()
  t.equal((await client.query('SELECT count(*)::int AS n FROM orders')).rows[0].n, 1000)
  await client.end()
  gw.child.kill('SIGTERM')
  t.equal(await exited(gw.child), 0)
  t.same(postgresUnder(gw.cluster), [])
})
