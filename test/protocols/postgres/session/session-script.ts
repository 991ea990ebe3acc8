import { FrameReader, type Frame } from '../../../../src/protocols/postgres/codec/index.js'
import { Session } from '../../../../src/protocols/postgres/session/session.js'
import type { Action } from '../../../../src/protocols/postgres/session/actions.js'
import type { Decision, GatewayEvent, SqlFacts } from '../../../../src/core/events/index.js'
import type { PolicySet, PolicyStore } from '../../../../src/core/policy/index.js'
import type { PostgresTargetConfig } from '../../../../src/core/config/index.js'
import { Writer } from '../../../../src/protocols/postgres/codec/index.js'

export const TARGET: PostgresTargetConfig = { name: 'analytics', protocol: 'postgres', upstream: 'postgres://svc@db/analytics', upstreamTls: 'disable' }

/** Frames of the given direction, from encoded bytes. */
export function frames (from: 'client' | 'server', ...bytes: Buffer[]): Frame[] {
  const r = new FrameReader(from)
  r.push(Buffer.concat(bytes))
  const out: Frame[] = []
  for (let f = r.next(); f !== undefined; f = r.next()) out.push(f)
  return out
}

export const startupFrame = (bytes: Buffer): Frame => {
  const r = new FrameReader('client')
  r.push(bytes)
  return r.next(true) as Frame
}

/** Server messages this test needs and the codec does not build (they are only ever relayed). */
export const server = {
  parseComplete: (): Buffer => new Writer().frame(0x31),
  bindComplete: (): Buffer => new Writer().frame(0x32),
  noData: (): Buffer => new Writer().frame(0x6e),
  commandComplete: (tag: string): Buffer => new Writer().cstring(tag).frame(0x43),
  dataRow: (v: string): Buffer => new Writer().int16(1).int32(Buffer.byteLength(v)).bytes(Buffer.from(v)).frame(0x44),
  rowDescription: (): Buffer => new Writer().int16(0).frame(0x54)
}

/** First word of each statement as its operation: enough for session tests. */
export const fakeSql = {
  analyze: (text: string): SqlFacts => ({ text, statements: text.split(';').filter((s) => s.trim() !== '').map((s) => ({ operation: s.trim().split(/\s+/)[0].toLowerCase(), tables: [] })) }),
  normalize: (text: string): string => text.replace(/\d+/g, '$n')
}

export function policyOf (decide: (e: GatewayEvent) => Decision): PolicyStore {
  const set: PolicySet = { revision: 'r1', defaultAction: 'deny', ruleCount: 1, recognizers: [], decide }
  return { current: () => set, reload: async () => ({ ok: true, revision: 'r1' }), status: () => ({}) as ReturnType<PolicyStore['status']>, close: async () => {} }
}

let ids = 0
export function newSession (decide: (e: GatewayEvent) => Decision, client: Partial<{ encrypted: boolean; canStartTls: boolean; plaintextAllowed: boolean }> = {}, now?: () => number): Session {
  return new Session({
    id: 'sess-1',
    client: { address: '127.0.0.1', encrypted: false, canStartTls: true, plaintextAllowed: true, ...client },
    targets: [TARGET],
    sql: fakeSql,
    policy: policyOf(decide),
    newId: () => `ev-${++ids}`,
    ...(now !== undefined ? { now } : {})
  })
}

/** Bytes of the actions of one kind, concatenated. */
export const bytesOf = (actions: Action[], kind: 'to-client' | 'to-server'): Buffer =>
  Buffer.concat(actions.flatMap((a) => a.kind === kind ? [a.bytes] : []))

/** Type letters of the frames in some bytes ('R', 'Z', ...). */
export const letters = (from: 'client' | 'server', b: Buffer): string => frames(from, b).map((f) => String.fromCharCode(f.code)).join('')
