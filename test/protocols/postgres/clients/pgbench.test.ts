import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import pg from 'pg'
import { startGatewayFixture, TOKEN } from '../gateway-fixture.js'

const PGBENCH = process.env.PGBENCH ?? 'pgbench'
if (spawnSync(PGBENCH, ['--version']).status !== 0) {
  console.log(`# skipping pgbench tests: no ${PGBENCH} binary on this machine (Debian: postgresql-contrib)`)
  t.test('pgbench through gatehouse', { skip: 'pgbench not installed (Debian: postgresql-contrib)' }, () => {})
} else {
  const gw = await startGatewayFixture(t)
  const env = { ...process.env, PGPASSWORD: TOKEN, PGSSLMODE: 'disable', PGUSER: 'alice', PGHOST: gw.host, PGPORT: String(gw.port) }

  const pgbench = async (args: string[]): Promise<{ code: number | null; out: string }> => await new Promise((resolve, reject) => {
    const child = spawn(PGBENCH, [...args, 'analytics'], { env })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { out += c.toString() })
    child.once('error', reject)
    child.once('close', (code) => { resolve({ code, out }) })
  })

  t.test('pgbench -i through gatehouse: DDL and a 100000-row COPY FROM STDIN', async (t) => {
    const r = await pgbench(['-i', '-s', '1', '-q'])
    t.equal(r.code, 0, r.out)
    const c = new pg.Client({ connectionString: gw.url() })
    await c.connect()
    t.equal((await c.query('select count(*)::int as n from pgbench_accounts')).rows[0].n, 100000)
    await c.end()
  })

  for (const protocol of ['simple', 'extended', 'prepared']) {
    t.test(`pgbench -S -M ${protocol}: every transaction succeeds`, async (t) => {
      const r = await pgbench(['-S', '-M', protocol, '-c', '4', '-j', '2', '-t', '250', '-n'])
      t.equal(r.code, 0, r.out)
      t.match(r.out, /number of transactions actually processed: 1000\/1000/)
      t.match(r.out, /number of failed transactions: 0/)
    })
  }
}
