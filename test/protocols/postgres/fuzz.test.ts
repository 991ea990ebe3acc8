import t from 'tap'
import fc from 'fast-check'
import pg from 'pg'
import { connect } from 'node:net'
import { startGatewayFixture, TOKEN } from './gateway-fixture.js'
import { encodeStartupMessage } from '../../../src/protocols/postgres/messages/startup-message.js'
import { encodePasswordMessage } from '../../../src/protocols/postgres/messages/password-message.js'
import { encodeQuery } from '../../../src/protocols/postgres/messages/query.js'
import { encodeParse } from '../../../src/protocols/postgres/messages/parse.js'
import { encodeBind } from '../../../src/protocols/postgres/messages/bind.js'
import { encodeDescribe } from '../../../src/protocols/postgres/messages/describe.js'
import { encodeExecute } from '../../../src/protocols/postgres/messages/execute.js'
import { encodeClose } from '../../../src/protocols/postgres/messages/close.js'
import { encodeSync } from '../../../src/protocols/postgres/messages/sync.js'
import { encodeFlush } from '../../../src/protocols/postgres/messages/flush.js'
import { encodeCancelRequest } from '../../../src/protocols/postgres/messages/cancel-request.js'
import { encodeSslRequest } from '../../../src/protocols/postgres/messages/ssl-request.js'

const gw = await startGatewayFixture(t, { limits: { maxMessageBytes: 1024 * 1024 } })
const SECRET = 'victim-secret-7f3a9c'
/** An attacker connection still open after this long is left as it is (its session waits for more). */
const QUIET_MS = 120

// The victim: another session holding a secret in its own session state, busy while the fuzzer runs.
const victim = new pg.Client({ connectionString: gw.url() })
await victim.connect()
t.teardown(async () => { await victim.end() })
await victim.query(`select set_config('gh.secret', '${SECRET}', false)`)
await victim.query('prepare victim_stmt as select current_setting($1)')

/** Well-formed messages a client could send once logged in. */
const validMessage = fc.oneof(
  fc.constantFrom('select 1', "select current_setting('gh.secret', true)", 'execute victim_stmt(\'gh.secret\')', 'begin', 'commit', 'select pg_sleep(0.01)', 'copy (select 1) to stdout', 'copy gh_fuzz from stdin').map((sql) => encodeQuery({ sql })),
  fc.constantFrom('', 's1', 'victim_stmt').map((name) => encodeParse({ name, sql: 'select $1::text', paramTypes: [] })),
  fc.constantFrom('', 's1', 'victim_stmt').map((statement) => encodeBind({ portal: '', statement, paramFormats: [], params: [Buffer.from('gh.secret')], resultFormats: [] })),
  fc.constantFrom('statement', 'portal').map((target) => encodeDescribe({ target: target as 'statement' | 'portal', name: '' })),
  fc.constant(encodeExecute({ portal: '', maxRows: 0 })),
  fc.constant(encodeClose({ target: 'statement', name: 's1' })),
  fc.constant(encodeSync()),
  fc.constant(encodeFlush()),
  fc.constant(Buffer.from([0x64, 0, 0, 0, 6, 0x31, 0x0a])), // CopyData "1\n"
  fc.constant(Buffer.from([0x63, 0, 0, 0, 4])), // CopyDone
  fc.constant(Buffer.from([0x46, 0, 0, 0, 14, 0, 0, 0x04, 0xd2, 0, 0, 0, 0, 0, 0])) // FunctionCall
)

/** A message damaged the way a buggy or hostile client would: flipped bytes, cut short, wrong length, junk. */
const mutated = fc.tuple(validMessage, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'truncate', 'length', 'junk', 'none')).map(([m, pos, byte, how]) => {
  const b = Buffer.from(m)
  const at = pos % b.length
  switch (how) {
    case 'flip': b[at] ^= byte || 1; return b
    case 'truncate': return b.subarray(0, at)
    case 'length': b.writeInt32BE((pos % 2 === 0 ? 1 : -1) * (byte + 1) + b.length - 1, 1); return b
    case 'junk': return Buffer.concat([b, Buffer.from([byte, pos & 0xff, 0, 0, 0, byte & 7])])
    default: return b
  }
})

/** One attacker connection: logs in, sends the messages, collects all it receives until closed or quiet. */
async function attack (messages: Buffer[], preAuth: Buffer | undefined): Promise<Buffer> {
  const socket = connect({ host: gw.host, port: gw.port })
  const received: Buffer[] = []
  socket.on('error', () => {})
  socket.on('data', (c: Buffer) => { received.push(c) })
  if (preAuth !== undefined) {
    socket.write(preAuth)
  } else {
    socket.write(encodeStartupMessage({ version: 196608, params: { user: 'mallory', database: 'analytics' } }))
    socket.write(encodePasswordMessage(TOKEN))
    for (const m of messages) socket.write(m)
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => { socket.destroy(); resolve() }, QUIET_MS)
    socket.once('close', () => { clearTimeout(timer); resolve() })
  })
  return Buffer.concat(received)
}

t.test('mutated client messages never crash gatehouse nor reveal another session\'s data', async (t) => {
  await victim.query('create table if not exists gh_fuzz (v text)')
  let victimQueries = 0
  let stop = false
  const busyVictim = (async () => {
    while (!stop) {
      const r = await victim.query({ name: 'victim_stmt_proto', text: 'select current_setting($1) as s', values: ['gh.secret'] })
      if (r.rows[0].s === SECRET) victimQueries++
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  await fc.assert(fc.asyncProperty(
    fc.array(mutated, { minLength: 1, maxLength: 12 }),
    fc.option(fc.oneof(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), fc.constant(encodeSslRequest()), fc.tuple(fc.integer(), fc.integer()).map(([p, s]) => encodeCancelRequest({ processId: p, secretKey: s }))), { nil: undefined, freq: 5 }),
    async (messages, preAuth) => {
      const got = await attack(messages, preAuth)
      return !got.includes(SECRET)
    }
  ), { numRuns: 80 })
  stop = true
  await busyVictim
  t.ok(victimQueries > 0, `the victim kept working (${victimQueries} queries) and never lost its session`)
  t.equal((await victim.query('execute victim_stmt(\'gh.secret\')')).rows[0].current_setting, SECRET)
  const fresh = new pg.Client({ connectionString: gw.url() })
  await fresh.connect()
  t.equal((await fresh.query('select 1 as n')).rows[0].n, 1, 'gatehouse still accepts sessions')
  await fresh.end()
})
