import t from 'tap'
import { newSession, startupFrame, frames, bytesOf, letters, server, TARGET } from './session-script.js'
import { encodeStartupMessage } from '../../../../src/protocols/postgres/messages/startup-message.js'
import { encodeSslRequest } from '../../../../src/protocols/postgres/messages/ssl-request.js'
import { encodeGssencRequest } from '../../../../src/protocols/postgres/messages/gssenc-request.js'
import { encodeCancelRequest } from '../../../../src/protocols/postgres/messages/cancel-request.js'
import { encodePasswordMessage } from '../../../../src/protocols/postgres/messages/password-message.js'
import { encodeQuery, decodeQuery } from '../../../../src/protocols/postgres/messages/query.js'
import { encodeParse, decodeParse } from '../../../../src/protocols/postgres/messages/parse.js'
import { encodeBind, decodeBind } from '../../../../src/protocols/postgres/messages/bind.js'
import { encodeDescribe } from '../../../../src/protocols/postgres/messages/describe.js'
import { encodeExecute } from '../../../../src/protocols/postgres/messages/execute.js'
import { encodeSync } from '../../../../src/protocols/postgres/messages/sync.js'
import { encodeReadyForQuery } from '../../../../src/protocols/postgres/messages/ready-for-query.js'
import { encodeErrorResponse, decodeErrorFields } from '../../../../src/protocols/postgres/messages/error-response.js'
import { encodeParameterStatus } from '../../../../src/protocols/postgres/messages/parameter-status.js'
import { decodeNegotiateProtocolVersion } from '../../../../src/protocols/postgres/messages/negotiate-protocol-version.js'
import { decodeBackendKeyData } from '../../../../src/protocols/postgres/messages/backend-key-data.js'
import { DENIED_SQL, type Session } from '../../../../src/protocols/postgres/session/session.js'
import type { Decision, GatewayEvent } from '../../../../src/core/events/index.js'
import type { Action } from '../../../../src/protocols/postgres/session/actions.js'

const allow = (): Decision => ({ action: 'allow', rules: ['ok'], shadow: [], masks: [], limits: [], policyRevision: 'r1' })
const denyDrop = (e: GatewayEvent): Decision => e.sql?.statements.some((s) => s.operation === 'drop') === true
  ? { action: 'deny', rules: ['no-drop'], shadow: [], masks: [], limits: [], message: 'no dropping', policyRevision: 'r1' }
  : allow()
const ALICE = { sub: 'alice', iss: 'https://idp/', groups: [], via: 'oidc' as const }

const startup = (params: Record<string, string> = { user: 'alice', database: 'analytics' }, version = 196608): Buffer => encodeStartupMessage({ version, params })

/** Drives a session through start-up to 'ready'. */
function readySession (decide: (e: GatewayEvent) => Decision = denyDrop): Session {
  const s = newSession(decide)
  s.onClient(startupFrame(startup()))
  s.onClient(frames('client', encodePasswordMessage('tok'))[0])
  s.onVerified(ALICE)
  s.onUpstreamReady([], frames('server', encodeReadyForQuery('I'))[0], { processId: 1, secretKey: 2 })
  return s
}

const client = (s: Session, ...bytes: Buffer[]): Action[] => frames('client', ...bytes).flatMap((f) => s.onClient(f))
const fromServer = (s: Session, ...bytes: Buffer[]): Buffer => bytesOf(frames('server', ...bytes).flatMap((f) => s.onServer(f)), 'to-client')

t.test('start-up: password asked, verified, target chosen by database, login params kept from upstream', async (t) => {
  const s = newSession(denyDrop)
  t.equal(letters('server', bytesOf(s.onClient(startupFrame(startup({ user: 'alice', database: 'analytics', application_name: 'psql', options: '-c x=1' }))), 'to-client')), 'R')
  t.same(s.onClient(frames('client', encodePasswordMessage('tok'))[0]), [{ kind: 'verify', password: 'tok' }])
  const [connect] = s.onVerified(ALICE)
  t.same(connect, { kind: 'connect', target: TARGET, params: { application_name: 'psql', options: '-c x=1' } })
  const out = bytesOf(s.onUpstreamReady(frames('server', encodeParameterStatus({ name: 'server_version', value: '16' })), frames('server', encodeReadyForQuery('I'))[0], { processId: 77, secretKey: 99 }), 'to-client')
  t.equal(letters('server', out), 'RSKZ')
  t.same(decodeBackendKeyData(frames('server', out)[2].body), { processId: 77, secretKey: 99 })
  t.equal(s.step, 'ready')
})

t.test('SSLRequest is answered S and upgraded; N when the listener has no TLS; GSSENCRequest gets N', async (t) => {
  const s = newSession(denyDrop)
  const a = s.onClient(startupFrame(encodeSslRequest()))
  t.same(a.map((x) => x.kind), ['to-client', 'start-tls'])
  t.equal(bytesOf(a, 'to-client').toString(), 'S')
  s.onTlsStarted()
  t.ok(s.expectsStartupPacket)
  const plain = newSession(denyDrop, { canStartTls: false })
  t.equal(bytesOf(plain.onClient(startupFrame(encodeSslRequest())), 'to-client').toString(), 'N')
  t.equal(bytesOf(plain.onClient(startupFrame(encodeGssencRequest())), 'to-client').toString(), 'N')
  t.equal(plain.step, 'startup')
})

t.test('a token over plaintext is refused before the password is asked unless the listener allows it', async (t) => {
  const s = newSession(denyDrop, { plaintextAllowed: false })
  const a = s.onClient(startupFrame(startup()))
  const err = decodeErrorFields(frames('server', bytesOf(a, 'to-client'))[0].body)
  t.match(err, { severity: 'FATAL', code: '28000' })
  t.equal(a.at(-1)?.kind, 'close')
})

t.test('protocol 3.2 and _pq_ options are answered with NegotiateProtocolVersion, then 3.0 goes on', async (t) => {
  const s = newSession(denyDrop)
  const out = bytesOf(s.onClient(startupFrame(startup({ user: 'alice', '_pq_.compression': 'on' }, 196610))), 'to-client')
  t.equal(letters('server', out), 'vR')
  t.same(decodeNegotiateProtocolVersion(frames('server', out)[0].body), { newestMinor: 0, unsupportedOptions: ['_pq_.compression'] })
})

t.test('protocol 2 is refused with 0A000', async (t) => {
  const s = newSession(denyDrop)
  const out = bytesOf(s.onClient(startupFrame(startup({ user: 'alice' }, 0x20000))), 'to-client')
  t.equal(decodeErrorFields(frames('server', out)[0].body).code, '0A000')
})

t.test('a CancelRequest is passed on and the connection closed', async (t) => {
  const s = newSession(denyDrop)
  t.same(s.onClient(startupFrame(encodeCancelRequest({ processId: 5, secretKey: 6 }))), [{ kind: 'cancel', key: { processId: 5, secretKey: 6 } }, { kind: 'close', reason: 'cancel request' }])
})

t.test('an unknown database is FATAL 3D000 after authentication', async (t) => {
  const s = newSession(denyDrop)
  s.onClient(startupFrame(startup({ user: 'alice', database: 'nope' })))
  s.onClient(frames('client', encodePasswordMessage('tok'))[0])
  const a = s.onVerified(ALICE)
  t.match(decodeErrorFields(frames('server', bytesOf(a, 'to-client'))[0].body), { severity: 'FATAL', code: '3D000' })
})

t.test('replication connections are refused unless a rule allows them', async (t) => {
  const s = newSession(() => ({ ...allow(), rules: [] }))
  s.onClient(startupFrame(startup({ user: 'alice', database: 'analytics', replication: 'database' })))
  s.onClient(frames('client', encodePasswordMessage('tok'))[0])
  const a = s.onVerified(ALICE)
  t.match(decodeErrorFields(frames('server', bytesOf(a, 'to-client'))[0].body), { code: '42501' })
  const ok = newSession(allow)
  ok.onClient(startupFrame(startup({ user: 'alice', database: 'analytics', replication: 'database' })))
  ok.onClient(frames('client', encodePasswordMessage('tok'))[0])
  t.match(ok.onVerified(ALICE), [{ kind: 'audit', entry: { event: { phase: 'connect' }, decision: { action: 'allow' } } }, { kind: 'connect', params: { replication: 'database' } }])
})

t.test('a denied Query is replaced by one that fails on the server; its error becomes 42501 naming the rule', async (t) => {
  const s = readySession()
  const a = client(s, encodeQuery({ sql: 'drop table t' }))
  t.equal(decodeQuery(frames('client', bytesOf(a, 'to-server'))[0].body).sql, DENIED_SQL)
  t.match(a.find((x) => x.kind === 'audit'), { entry: { decision: { action: 'deny' } } })
  const out = fromServer(s, encodeErrorResponse({ severity: 'ERROR', code: '42601', message: 'syntax error' }), encodeReadyForQuery('E'))
  const [err, rfq] = frames('server', out)
  t.match(decodeErrorFields(err.body), { code: '42501', message: 'no dropping (rule no-drop)' })
  t.equal(rfq.raw[5], 'E'.charCodeAt(0), 'the server itself reports the failed transaction')
  t.same(s.expectedReplies(), [])
})

t.test('an allowed Query is forwarded byte for byte and its replies relayed unchanged', async (t) => {
  const s = readySession()
  const q = encodeQuery({ sql: 'select 1' })
  t.ok(bytesOf(client(s, q), 'to-server').equals(q))
  const replies = [server.rowDescription(), server.dataRow('1'), server.commandComplete('SELECT 1'), encodeReadyForQuery('I')]
  t.ok(fromServer(s, ...replies).equals(Buffer.concat(replies)))
})

t.test('an error in Bind drops expected replies until Sync', async (t) => {
  const s = readySession()
  client(s, encodeParse({ name: '', sql: 'select $1', paramTypes: [] }), encodeBind({ portal: '', statement: '', paramFormats: [], params: [Buffer.from('x')], resultFormats: [] }),
    encodeDescribe({ target: 'portal', name: '' }), encodeExecute({ portal: '', maxRows: 0 }), encodeSync())
  t.same(s.expectedReplies(), ['parse', 'bind', 'describe-portal', 'execute', 'sync'])
  fromServer(s, server.parseComplete())
  const err = encodeErrorResponse({ severity: 'ERROR', code: '22P02', message: 'bad input' })
  t.ok(fromServer(s, err).equals(err), 'a real error is relayed as it is')
  t.same(s.expectedReplies(), ['sync'])
})

t.test('a denied Parse fails on the server and its error is shown after the replies already in flight', async (t) => {
  const s = readySession()
  // Batch 1 allowed, batch 2 denied, both pipelined before any reply.
  client(s, encodeParse({ name: '', sql: 'select 1', paramTypes: [] }), encodeBind({ portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] }),
    encodeExecute({ portal: '', maxRows: 0 }), encodeSync())
  const a = client(s, encodeParse({ name: 's2', sql: 'drop table t', paramTypes: [] }), encodeBind({ portal: '', statement: 's2', paramFormats: [], params: [], resultFormats: [] }),
    encodeExecute({ portal: '', maxRows: 0 }), encodeSync())
  const sent = frames('client', bytesOf(a, 'to-server'))
  t.equal(decodeParse(sent[0].body).sql, DENIED_SQL)
  t.equal(decodeBind(sent[1].body).statement, 's2', 'messages after the denial go on and the server skips them')
  const out = fromServer(s, server.parseComplete(), server.bindComplete(), server.dataRow('1'), server.commandComplete('SELECT 1'), encodeReadyForQuery('I'),
    encodeErrorResponse({ severity: 'ERROR', code: '42601', message: 'syntax error' }), encodeReadyForQuery('I'))
  t.equal(letters('server', out), '12DCZEZ')
  t.equal(decodeErrorFields(frames('server', out)[5].body).code, '42501')
  t.same(s.expectedReplies(), [])
})

t.test('when an earlier message fails first, its own error is shown, not the denial', async (t) => {
  const s = readySession()
  client(s, encodeBind({ portal: '', statement: 'missing', paramFormats: [], params: [], resultFormats: [] }), encodeParse({ name: '', sql: 'drop table t', paramTypes: [] }), encodeSync())
  const out = fromServer(s, encodeErrorResponse({ severity: 'ERROR', code: '26000', message: 'prepared statement "missing" does not exist' }), encodeReadyForQuery('I'))
  t.equal(decodeErrorFields(frames('server', out)[0].body).code, '26000')
})

t.test('Bind decisions see the parameters; a denied Bind is replaced by a Parse that cannot succeed', async (t) => {
  const seen: Array<Array<string | null> | undefined> = []
  const s = readySession((e) => {
    seen.push(e.sql?.params)
    return e.sql?.params?.includes('forbidden') === true ? { ...allow(), action: 'deny', rules: ['no-forbidden'] } : allow()
  })
  client(s, encodeParse({ name: 'q', sql: 'select $1', paramTypes: [] }))
  const a = client(s, encodeBind({ portal: '', statement: 'q', paramFormats: [], params: [Buffer.from('forbidden')], resultFormats: [] }), encodeSync())
  t.same(seen, [undefined, ['forbidden']])
  const sent = frames('client', bytesOf(a, 'to-server'))
  t.equal(String.fromCharCode(sent[0].code), 'P')
  t.same(decodeParse(sent[0].body), { name: 'gatehouse_policy_denied', sql: DENIED_SQL, paramTypes: [] })
  const out = fromServer(s, server.parseComplete(), encodeErrorResponse({ severity: 'ERROR', code: '42601', message: 'x' }), encodeReadyForQuery('I'))
  t.equal(decodeErrorFields(frames('server', out)[1].body).code, '42501')
})

t.test('a FATAL from the server is relayed and the session closes', async (t) => {
  const s = readySession()
  const a = frames('server', encodeErrorResponse({ severity: 'FATAL', code: '57P01', message: 'terminating' })).flatMap((f) => s.onServer(f))
  t.same(a.map((x) => x.kind), ['to-client', 'close'])
})

t.test('an unknown client message type is a protocol violation that closes the session', async (t) => {
  const s = readySession()
  const a = s.onClient(frames('client', Buffer.from([0x7a, 0, 0, 0, 4]))[0])
  t.match(decodeErrorFields(frames('server', bytesOf(a, 'to-client'))[0].body), { code: '08P01' })
  t.equal(a.at(-1)?.kind, 'close')
})

t.test('a FunctionCall needs a rule that allows it: the default does not', async (t) => {
  const fnCall = Buffer.from([0x46, 0, 0, 0, 14, 0, 0, 0x04, 0xd2, 0, 0, 0, 0, 0, 0])
  const byDefault = readySession(() => ({ ...allow(), rules: [] }))
  const a = client(byDefault, fnCall)
  t.equal(decodeQuery(frames('client', bytesOf(a, 'to-server'))[0].body).sql, DENIED_SQL)
  const out = fromServer(byDefault, encodeErrorResponse({ severity: 'ERROR', code: '42601', message: 'x' }), encodeReadyForQuery('I'))
  t.equal(decodeErrorFields(frames('server', out)[0].body).code, '42501')
  const byRule = readySession(allow)
  t.ok(bytesOf(client(byRule, fnCall), 'to-server').equals(fnCall), 'forwarded as sent when a rule allows it')
})

t.test('DEALLOCATE and DISCARD ALL forget statements; a Bind to a forgotten one is forwarded undecided', async (t) => {
  const decided: string[] = []
  const s = readySession((e) => { decided.push(e.sql?.text ?? ''); return allow() })
  client(s, encodeParse({ name: 'q1', sql: 'select 1', paramTypes: [] }), encodeParse({ name: 'q2', sql: 'select 2', paramTypes: [] }))
  client(s, encodeQuery({ sql: 'deallocate q1' }))
  decided.length = 0
  client(s, encodeBind({ portal: '', statement: 'q1', paramFormats: [], params: [], resultFormats: [] }), encodeBind({ portal: '', statement: 'q2', paramFormats: [], params: [], resultFormats: [] }))
  t.same(decided, ['select 2'])
  client(s, encodeQuery({ sql: 'DISCARD ALL' }))
  decided.length = 0
  client(s, encodeBind({ portal: '', statement: 'q2', paramFormats: [], params: [], resultFormats: [] }))
  t.same(decided, [])
})

t.test('a statement made with SQL PREPARE is decided again, with its parameters, when the extended protocol binds it', async (t) => {
  const decided: Array<{ text: string; params?: Array<string | null> }> = []
  const s = readySession((e) => { decided.push({ text: e.sql?.text ?? '', ...(e.sql?.params !== undefined ? { params: e.sql.params } : {}) }); return allow() })
  client(s, encodeQuery({ sql: 'PREPARE "ByName" AS select 1 where $1::int > 0' }), encodeQuery({ sql: 'prepare lower_case (int) as select 2' }))
  decided.length = 0
  client(s, encodeBind({ portal: '', statement: 'ByName', paramFormats: [], params: [Buffer.from('7')], resultFormats: [] }),
    encodeBind({ portal: '', statement: 'lower_case', paramFormats: [], params: [Buffer.from('8')], resultFormats: [] }))
  t.same(decided, [{ text: 'PREPARE "ByName" AS select 1 where $1::int > 0', params: ['7'] }, { text: 'prepare lower_case (int) as select 2', params: ['8'] }])
})

t.test('role changes at startup are refused: they would bypass the set_role policy', async (t) => {
  for (const params of [{ user: 'alice', role: 'admin' } as Record<string, string>, { user: 'alice', options: '-c role=admin' }, { user: 'alice', options: '-c statement_timeout=5 --role=admin' },
    { user: 'alice', options: '-csession_authorization=postgres' }, { user: 'alice', options: '-c Session-Authorization=postgres' }]) {
    const s = newSession(denyDrop)
    const out = bytesOf(s.onClient(startupFrame(startup(params))), 'to-client')
    t.match(decodeErrorFields(frames('server', out)[0].body), { severity: 'FATAL', code: '42501' }, JSON.stringify(params))
  }
  const ok = newSession(denyDrop)
  t.equal(letters('server', bytesOf(ok.onClient(startupFrame(startup({ user: 'alice', options: '-c search_path=a\\ b -c rolex=1' }))), 'to-client')), 'R')
})

t.test('an allowed statement is audited once its reply is complete, with rows and latency', async (t) => {
  let clock = 100
  const s = newSession(denyDrop, {}, () => clock)
  s.onClient(startupFrame(startup()))
  s.onClient(frames('client', encodePasswordMessage('tok'))[0])
  s.onVerified(ALICE)
  s.onUpstreamReady([], frames('server', encodeReadyForQuery('I'))[0], { processId: 1, secretKey: 2 })
  t.same(client(s, encodeQuery({ sql: 'select 1; select 2' })).map((a) => a.kind), ['to-server'], 'nothing recorded before the reply')
  clock = 102.5
  const audits = frames('server', server.dataRow('1'), server.commandComplete('SELECT 1'), server.dataRow('2'), server.commandComplete('SELECT 1'), encodeReadyForQuery('I'))
    .flatMap((f) => s.onServer(f)).filter((a) => a.kind === 'audit')
  t.match(audits, [{ entry: { usage: { rows: 2 }, latencyMs: 2.5, summary: { sql: 'select $n; select $n' } } }])

  client(s, encodeParse({ name: '', sql: 'update t set x = 1', paramTypes: [] }), encodeBind({ portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] }),
    encodeExecute({ portal: '', maxRows: 0 }), encodeSync())
  const ext = frames('server', server.parseComplete(), server.bindComplete(), server.commandComplete('UPDATE 7'), encodeReadyForQuery('I')).flatMap((f) => s.onServer(f)).filter((a) => a.kind === 'audit')
  t.match(ext, [{ entry: { usage: { rows: 7 }, event: { sql: { text: 'update t set x = 1', params: [] } } } }])
})

t.test('decisions whose replies never came are recorded when the session ends', async (t) => {
  const s = readySession()
  client(s, encodeQuery({ sql: 'select pg_sleep(100)' }))
  client(s, encodeParse({ name: '', sql: 'select 1', paramTypes: [] }), encodeBind({ portal: 'p', statement: '', paramFormats: [], params: [], resultFormats: [] }))
  const drained = s.drainAudits()
  t.equal(drained.length, 2)
  t.same(s.drainAudits(), [], 'each only once')
})
