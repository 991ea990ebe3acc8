/**
 * What the postgres session costs per query, without sockets: one prepared-statement execution
 * (Bind/Execute/Sync in, BindComplete/DataRow/CommandComplete/ReadyForQuery out) and one simple Query,
 * through FrameReader + Session with an allow-all policy and a no-op audit. The rest of gatehouse's
 * per-query cost is I/O and the audit sink.
 *
 * Run: npx tsx bench/pg/session-relay.ts
 */
import { measure, do_not_optimize } from 'mitata'
import { FrameReader, Writer } from '../../src/protocols/postgres/codec/index.js'
import { Session } from '../../src/protocols/postgres/session/session.js'
import { createSqlAnalyzer } from '../../src/protocols/postgres/sql/index.js'
import { encodeStartupMessage } from '../../src/protocols/postgres/messages/startup-message.js'
import { encodePasswordMessage } from '../../src/protocols/postgres/messages/password-message.js'
import { encodeParse } from '../../src/protocols/postgres/messages/parse.js'
import { encodeBind } from '../../src/protocols/postgres/messages/bind.js'
import { encodeExecute } from '../../src/protocols/postgres/messages/execute.js'
import { encodeSync } from '../../src/protocols/postgres/messages/sync.js'
import { encodeQuery } from '../../src/protocols/postgres/messages/query.js'
import { encodeReadyForQuery } from '../../src/protocols/postgres/messages/ready-for-query.js'
import type { PolicySet, PolicyStore } from '../../src/core/policy/index.js'

const sql = await createSqlAnalyzer()
const set: PolicySet = { revision: 'r', defaultAction: 'deny', ruleCount: 1, recognizers: [], decide: () => ({ action: 'allow', rules: ['a'], shadow: [], masks: [], limits: [], policyRevision: 'r' }) }
const policy = { current: () => set } as unknown as PolicyStore
let n = 0
const session = new Session({ id: 's', client: { address: '127.0.0.1', encrypted: false, canStartTls: false, plaintextAllowed: true }, targets: [{ name: 'bench', protocol: 'postgres', upstream: 'postgres://x@y/z', upstreamTls: 'disable' }], sql, policy, newId: () => String(++n) })

const feed = (from: 'client' | 'server', bytes: Buffer, untyped = false): number => {
  const r = new FrameReader(from)
  r.push(bytes)
  let actions = 0
  for (let f = r.next(untyped); f !== undefined; f = r.next()) actions += (from === 'client' ? session.onClient(f) : session.onServer(f)).length
  return actions
}
feed('client', encodeStartupMessage({ version: 196608, params: { user: 'u', database: 'bench' } }), true)
feed('client', encodePasswordMessage('t'))
session.onVerified({ sub: 'u', iss: 'i', groups: [], via: 'dev' })
const rfq = new FrameReader('server')
rfq.push(encodeReadyForQuery('I'))
session.onUpstreamReady([], rfq.next()!, { processId: 1, secretKey: 1 })
feed('client', encodeParse({ name: 'p', sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1', paramTypes: [] }))

const execIn = Buffer.concat([encodeBind({ portal: '', statement: 'p', paramFormats: [], params: [Buffer.from('4242')], resultFormats: [] }), encodeExecute({ portal: '', maxRows: 0 }), encodeSync()])
const replies = Buffer.concat([new Writer().frame(0x31), new Writer().frame(0x32), new Writer().int16(1).int32(1).bytes(Buffer.from('0')).frame(0x44), new Writer().cstring('SELECT 1').frame(0x43), encodeReadyForQuery('I')]).subarray(5)
let aid = 0
const rows: Array<[string, () => unknown]> = [
  ['prepared execution (Bind/Execute/Sync + 4 replies)', () => feed('client', execIn) + feed('server', replies)],
  ['simple Query, same text (analysis cached)', () => feed('client', encodeQuery({ sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = 4242;' })) + feed('server', replies.subarray(10))],
  ['simple Query, new literal each time', () => feed('client', encodeQuery({ sql: `SELECT abalance FROM pgbench_accounts WHERE aid = ${++aid};` })) + feed('server', replies.subarray(10))]
]
for (const [name, fn] of rows) {
  const stats = await measure(() => do_not_optimize(fn()))
  console.log(`${name.padEnd(52)} p50 ${(stats.p50 / 1000).toFixed(2).padStart(7)} µs  p99 ${(stats.p99 / 1000).toFixed(2).padStart(7)} µs`)
}
