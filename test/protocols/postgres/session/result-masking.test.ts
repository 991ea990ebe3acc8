import t from 'tap'
import { Session } from '../../../../src/protocols/postgres/session/session.js'
import type { Action } from '../../../../src/protocols/postgres/session/actions.js'
import type { Decision, GatewayEvent, MaskSpec } from '../../../../src/core/events/index.js'
import { ColumnResolver, responseMaskingCache } from '../../../../src/protocols/postgres/masking/index.js'
import { encodeStartupMessage } from '../../../../src/protocols/postgres/messages/startup-message.js'
import { encodePasswordMessage } from '../../../../src/protocols/postgres/messages/password-message.js'
import { encodeParse } from '../../../../src/protocols/postgres/messages/parse.js'
import { encodeBind } from '../../../../src/protocols/postgres/messages/bind.js'
import { encodeClose } from '../../../../src/protocols/postgres/messages/close.js'
import { encodeDescribe } from '../../../../src/protocols/postgres/messages/describe.js'
import { encodeExecute } from '../../../../src/protocols/postgres/messages/execute.js'
import { encodeSync } from '../../../../src/protocols/postgres/messages/sync.js'
import { encodeReadyForQuery } from '../../../../src/protocols/postgres/messages/ready-for-query.js'
import { decodeDataRow, encodeDataRow } from '../../../../src/protocols/postgres/messages/data-row.js'
import { encodeRowDescription, type FieldDescription } from '../../../../src/protocols/postgres/messages/row-description.js'
import { Writer } from '../../../../src/protocols/postgres/codec/index.js'
import { fakeSql, frames, policyOf, server, startupFrame, TARGET } from './session-script.js'

// The session's result masking in server order: fields remembered per statement and portal, so an
// Execute with no Describe of its own is masked with the right columns and formats.

const CUSTOMERS_OID = 16_400
const MASK: MaskSpec = { rule: 'mask-pii', entities: ['EMAIL'], columns: ['customers.email'], applyTo: ['response'], style: 'label' }
const masked = (): Decision => ({ action: 'allow', rules: ['ok'], shadow: [], masks: [MASK], limits: [], policyRevision: 'r1' })
const plain = (): Decision => ({ action: 'allow', rules: ['ok'], shadow: [], masks: [], limits: [], policyRevision: 'r1' })

/** A catalog with one table, customers(id int4, email text), counting its lookups. */
function catalog (): { resolver: ColumnResolver; lookups: () => number } {
  let n = 0
  const resolver = new ColumnResolver({
    query: async () => {
      n++
      return [1, 2].map((attnum) => ({ oid: CUSTOMERS_OID, nspname: 'public', relname: 'customers', relkind: 'r', attnum, attname: attnum === 1 ? 'id' : 'email', typcategory: attnum === 1 ? 'N' : 'S', ev_action: null, parents: null }))
    }
  })
  return { resolver, lookups: () => n }
}

function readySession (decide: (e: GatewayEvent) => Decision, resolver: ColumnResolver): Session {
  const s = new Session({
    id: 's', client: { address: '127.0.0.1', encrypted: false, canStartTls: false, plaintextAllowed: true }, targets: [TARGET], sql: fakeSql,
    policy: policyOf(decide), newId: () => 'ev',
    masking: { forMasks: responseMaskingCache({ hashKey: Buffer.alloc(32, 1) }), resolverFor: () => resolver, onResolveError: () => {} }
  })
  s.onClient(startupFrame(encodeStartupMessage({ version: 196608, params: { user: 'alice', database: 'analytics' } })))
  s.onClient(frames('client', encodePasswordMessage('tok'))[0])
  s.onVerified({ sub: 'alice', iss: 'https://idp/', groups: [], via: 'oidc' })
  s.onUpstreamReady([], frames('server', encodeReadyForQuery('I'))[0], { processId: 1, secretKey: 2 })
  return s
}

const field = (name: string, attnum: number, typeOid: number): FieldDescription =>
  ({ name, tableOid: CUSTOMERS_OID, attnum, typeOid, typeSize: -1, typeModifier: -1, format: 0 })
const FIELDS = [field('id', 1, 23), field('e', 2, 25)]
const row = (...values: Array<string | Buffer>): Buffer => encodeDataRow({ values: values.map((v) => typeof v === 'string' ? Buffer.from(v) : v) })
const parameterDescription = (): Buffer => new Writer().int16(0).frame(0x74)

const client = (s: Session, ...bytes: Buffer[]): Action[] => frames('client', ...bytes).flatMap((f) => s.onClient(f))

/** Feeds server frames, waiting for every catalog lookup the session asks for, as the driver does. */
async function fromServer (s: Session, ...bytes: Buffer[]): Promise<{ values: string[][]; waits: number }> {
  const values: string[][] = []
  let waits = 0
  for (const f of frames('server', ...bytes)) {
    for (const a of s.onServer(f)) {
      if (a.kind === 'wait-server') {
        waits++
        await a.until
      }
      if (a.kind === 'to-client' && a.bytes[0] === 0x44) values.push(decodeDataRow(a.bytes.subarray(5)).values.map((v) => v === null ? 'NULL' : v.toString('utf8')))
    }
  }
  return { values, waits }
}

t.test('a statement described once is masked by column identity on every later Execute, in the Bind\'s formats', async (t) => {
  const c = catalog()
  const s = readySession(masked, c.resolver)
  client(s, encodeParse({ name: 's1', sql: 'select id, email as e from customers where id = $1', paramTypes: [] }), encodeDescribe({ target: 'statement', name: 's1' }), encodeSync())
  await fromServer(s, server.parseComplete(), parameterDescription(), encodeRowDescription({ fields: FIELDS }), encodeReadyForQuery('I'))
  for (let i = 0; i < 3; i++) {
    // Text results, then binary ones: int4 as 4 bytes (relayed), text as its UTF-8 (masked).
    const binary = i === 2
    client(s, encodeBind({ portal: '', statement: 's1', paramFormats: [], params: [Buffer.from('1')], resultFormats: binary ? [1] : [] }), encodeExecute({ portal: '', maxRows: 0 }), encodeSync())
    const id = binary ? Buffer.from([0, 0, 0, 7]) : '7'
    const r = await fromServer(s, server.bindComplete(), row(id, 'ada@example.com'), server.commandComplete('SELECT 1'), encodeReadyForQuery('I'))
    t.same(r.values.map((v) => v[1]), ['[EMAIL]'], `run ${i}: the aliased column is masked`)
    t.equal(r.values[0][0], binary ? '\u0000\u0000\u0000\u0007' : '7', 'the id is relayed as it came')
    t.equal(r.waits, i === 0 ? 1 : 0, 'the catalog is asked once, then cached')
  }
  t.equal(c.lookups(), 1)
})

t.test('a statement re-prepared without a Describe is masked by content, never relayed as the old columns', async (t) => {
  const c = catalog()
  const s = readySession(masked, c.resolver)
  client(s, encodeParse({ name: 's1', sql: 'select id, email from customers', paramTypes: [] }), encodeDescribe({ target: 'statement', name: 's1' }), encodeSync())
  await fromServer(s, server.parseComplete(), parameterDescription(), encodeRowDescription({ fields: FIELDS }), encodeReadyForQuery('I'))
  client(s, encodeClose({ target: 'statement', name: 's1' }), encodeParse({ name: 's1', sql: "select 'note', 'mail ada@example.com'", paramTypes: [] }),
    encodeBind({ portal: '', statement: 's1', paramFormats: [], params: [], resultFormats: [] }), encodeExecute({ portal: '', maxRows: 0 }), encodeSync())
  const r = await fromServer(s, new Writer().frame(0x33), server.parseComplete(), server.bindComplete(), row('note', 'mail ada@example.com'), server.commandComplete('SELECT 1'), encodeReadyForQuery('I'))
  t.same(r.values, [['note', 'mail [EMAIL]']], 'the first value is not taken for the old email column; content is still scanned')
})

t.test('an Execute of a portal the session no longer remembers gets the latest masks it saw', async (t) => {
  let mask = true
  const s = readySession(() => mask ? masked() : plain(), catalog().resolver)
  client(s, encodeParse({ name: '', sql: 'select email from customers', paramTypes: [] }), encodeSync())
  await fromServer(s, server.parseComplete(), encodeReadyForQuery('T'))
  client(s, encodeBind({ portal: 'p0', statement: '', paramFormats: [], params: [], resultFormats: [] }))
  mask = false
  // Over a thousand portals later (unmasked decisions), p0 is forgotten.
  for (let i = 1; i <= 1100; i++) client(s, encodeBind({ portal: `p${i}`, statement: '', paramFormats: [], params: [], resultFormats: [] }))
  client(s, encodeExecute({ portal: 'p0', maxRows: 0 }), encodeSync())
  const binds = Array.from({ length: 1101 }, () => server.bindComplete())
  const r = await fromServer(s, ...binds, row('ada@example.com'), server.commandComplete('SELECT 1'), encodeReadyForQuery('T'))
  t.same(r.values, [['[EMAIL]']])
})

t.test('with no masks in force, rows are relayed as the same bytes and may stream', async (t) => {
  const s = readySession(plain, catalog().resolver)
  client(s, encodeParse({ name: '', sql: 'select email from customers', paramTypes: [] }), encodeBind({ portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] }), encodeExecute({ portal: '', maxRows: 0 }), encodeSync())
  t.ok(s.streamableServerCodes.has(0x44), 'DataRow may stream: nothing needs to read it')
  const raw = row('ada@example.com')
  const out = frames('server', server.parseComplete(), server.bindComplete(), raw).flatMap((f) => s.onServer(f))
  const sent = out.flatMap((a) => a.kind === 'to-client' ? [a.bytes] : [])
  t.ok(sent[2].equals(raw))
})

t.test('portals end with their transaction: a portal name reused after it is not masked with the old fields', async (t) => {
  const c = catalog()
  const s = readySession(masked, c.resolver)
  client(s, encodeParse({ name: 's1', sql: 'select id, email from customers', paramTypes: [] }), encodeDescribe({ target: 'statement', name: 's1' }),
    encodeBind({ portal: 'p', statement: 's1', paramFormats: [], params: [], resultFormats: [] }), encodeSync())
  await fromServer(s, server.parseComplete(), parameterDescription(), encodeRowDescription({ fields: FIELDS }), server.bindComplete(), encodeReadyForQuery('I'))
  // The server dropped portal p at the end of that implicit transaction; an Execute of p now fails there.
  // Had gatehouse kept p's fields, this row (of some other result) would be read as id + email columns.
  client(s, encodeExecute({ portal: 'p', maxRows: 0 }), encodeSync())
  const r = await fromServer(s, row('x', 'mail ada@example.com'), server.commandComplete('SELECT 1'), encodeReadyForQuery('I'))
  t.same(r.values, [['x', 'mail [EMAIL]']], 'masked by content, not as the forgotten portal\'s email column')
})

t.test('a catalog lookup that fails is reported, and the result is masked by column names and content', async (t) => {
  const errors: string[] = []
  const resolver = new ColumnResolver({ query: async () => { throw new Error('catalog unreachable') } })
  const s = new Session({
    id: 's', client: { address: '127.0.0.1', encrypted: false, canStartTls: false, plaintextAllowed: true }, targets: [TARGET], sql: fakeSql,
    policy: policyOf(() => ({ ...masked(), masks: [{ ...MASK, columns: ['customers.email', 'customers.name'] }] })), newId: () => 'ev',
    masking: { forMasks: responseMaskingCache({ hashKey: Buffer.alloc(32, 1) }), resolverFor: () => resolver, onResolveError: (err) => { errors.push((err as Error).message) } }
  })
  s.onClient(startupFrame(encodeStartupMessage({ version: 196608, params: { user: 'alice', database: 'analytics' } })))
  s.onClient(frames('client', encodePasswordMessage('tok'))[0])
  s.onVerified({ sub: 'alice', iss: 'https://idp/', groups: [], via: 'oidc' })
  s.onUpstreamReady([], frames('server', encodeReadyForQuery('I'))[0], { processId: 1, secretKey: 2 })
  client(s, encodeParse({ name: '', sql: 'select name, email as e from customers', paramTypes: [] }), encodeBind({ portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] }),
    encodeDescribe({ target: 'portal', name: '' }), encodeExecute({ portal: '', maxRows: 0 }), encodeSync())
  const fields = [{ ...field('name', 3, 25) }, field('e', 2, 25)]
  const r = await fromServer(s, server.parseComplete(), server.bindComplete(), encodeRowDescription({ fields }), row('Ada Lovelace', 'ada@example.com'), server.commandComplete('SELECT 1'), encodeReadyForQuery('I'))
  t.same(errors, ['catalog unreachable'])
  t.same(r.values, [['[REDACTED]', '[EMAIL]']], 'name by its column name, the aliased email by content')
})
