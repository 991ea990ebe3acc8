import t from 'tap'
import { hasPsql, PSQL, runPsql, type PsqlRun } from '../../../helpers/psql.js'
import { startGatewayFixture, denyMentioning, allow, TOKEN, type GatewayFixture } from '../gateway-fixture.js'

if (!hasPsql) {
  console.log(`# skipping psql tests: no ${PSQL} binary on this machine (install postgresql-client)`)
  t.test('psql through gatehouse', { skip: 'psql not installed (install postgresql-client)' }, () => {})
} else {
  const gw = await startGatewayFixture(t, { tls: 'auto' })

  const psqlEnv = (g: GatewayFixture, sslmode: string): NodeJS.ProcessEnv => ({
    ...process.env, PGHOST: g.host, PGPORT: String(g.port), PGUSER: 'alice', PGDATABASE: 'analytics', PGPASSWORD: TOKEN,
    PGSSLMODE: sslmode, PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'gatehouse-psql-test'
  })

  const psql = async (input: string, opts: { sslmode?: string; args?: string[]; env?: NodeJS.ProcessEnv; onStart?: (pid: number) => void } = {}): Promise<PsqlRun> =>
    await runPsql(['-X', '-A', '-t', ...(opts.args ?? ['-q'])], input, { ...psqlEnv(gw, opts.sslmode ?? 'disable'), ...opts.env }, opts.onStart)

  t.test('a multi-statement script runs as it would directly', async (t) => {
    const r = await psql('select 1; select 2 as two; select string_agg(x::text, \',\') from generate_series(1,3) x;\n')
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, '1\n2\n1,2,3\n')
  })

  t.test('over TLS (SSLRequest upgrade) the session works and reports SSL', async (t) => {
    const r = await psql('\\conninfo\nselect 42;\n', { sslmode: 'require' })
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /SSL connection/)
    t.match(r.stdout, /42/)
  })

  t.test('BEGIN; denied; COMMIT reports ROLLBACK and nothing is applied', async (t) => {
    gw.decide = denyMentioning('secret')
    t.teardown(() => { gw.decide = () => allow() })
    const r = await psql('create table if not exists psql_tx (v int);\nbegin;\ninsert into psql_tx values (1);\nselect 1 as secret;\ncommit;\nselect count(*) from psql_tx;\n', { args: [] })
    t.match(r.stderr, /ERROR:\s+no secret for you \(rule no-secret\)/)
    t.match(r.stdout, /^BEGIN\nINSERT 0 1\nROLLBACK\n0\n$/m, 'psql prints the tags: COMMIT comes back as ROLLBACK')
  })

  t.test('ON_ERROR_ROLLBACK keeps the transaction going after a denial', async (t) => {
    gw.decide = denyMentioning('secret')
    t.teardown(() => { gw.decide = () => allow() })
    const r = await psql('\\set ON_ERROR_ROLLBACK on\ncreate table if not exists psql_oer (v int);\ntruncate psql_oer;\nbegin;\ninsert into psql_oer values (1);\nselect 1 as secret;\ninsert into psql_oer values (2);\ncommit;\nselect count(*) from psql_oer;\n')
    t.match(r.stderr, /no secret for you/)
    t.equal(r.stdout.trim().split('\n').at(-1), '2')
  })

  t.test('\\copy in and out are relayed', async (t) => {
    const r = await psql('create table if not exists psql_copy (a int, b text);\ntruncate psql_copy;\n\\copy psql_copy from stdin\n1\tone\n2\ttwo\n\\.\n\\copy psql_copy to stdout\n')
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, '1\tone\n2\ttwo\n')
  })

  t.test('a denied COPY gets 42501 and psql goes on', async (t) => {
    gw.decide = (e) => e.sql?.statements.some((s) => s.operation === 'copy') === true ? { ...allow(), action: 'deny', rules: ['no-copy'] } : allow()
    t.teardown(() => { gw.decide = () => allow() })
    const r = await psql('create table if not exists psql_copy2 (a int);\n\\copy psql_copy2 to stdout\nselect 7;\n')
    t.match(r.stderr, /rule no-copy/)
    t.equal(r.stdout, '7\n')
  })

  t.test('a statement timeout and a SIGINT cancel both stop pg_sleep through gatehouse', async (t) => {
    const timeout = await psql('set statement_timeout = 200;\nselect pg_sleep(30);\nselect 1;\n')
    t.match(timeout.stderr, /canceling statement due to statement timeout/)
    t.equal(timeout.stdout, '1\n')
    const started = Date.now()
    const cancelled = await psql('select pg_sleep(30);\n', {
      onStart: (pid) => { setTimeout(() => { process.kill(pid, 'SIGINT') }, 1500) }
    })
    t.match(cancelled.stderr, /canceling statement due to user request/)
    t.ok(Date.now() - started < 15_000, 'cancelled well before the sleep ends')
  })

  t.test('a bad token: psql shows 28P01 and exits 2', async (t) => {
    const r = await psql('select 1;\n', { env: { PGPASSWORD: 'not-a-token' } })
    t.equal(r.code, 2)
    t.match(r.stderr, /password authentication failed for user "alice"/)
  })
}
