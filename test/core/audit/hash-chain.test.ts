import t, { type Test } from 'tap'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { canonicalJson, createAuditLog, hashLine, verifyAuditFile } from '../../../src/core/audit/index.js'
import { createLogger } from '../../../src/core/log/index.js'
import { sampleEntry } from './sample-entry.js'

const log = createLogger({ level: 'silent', destination: { write: () => {} } })

/** Writes `count` decision lines (continuing whatever chain the file holds) and returns the file path. */
async function writeChain (path: string, count: number, from = 1): Promise<string> {
  const audit = await createAuditLog({ sinks: [{ type: 'file', path }], recordSessions: false }, { log, dataDir: t.testdirName })
  for (let i = from; i < from + count; i++) audit.record(sampleEntry(i))
  await audit.close()
  return path
}

async function chainOf (t: Test, count = 10): Promise<{ path: string; lines: string[] }> {
  const path = await writeChain(join(t.testdir(), 'audit.log'), count)
  return { path, lines: (await readFile(path, 'utf8')).trimEnd().split('\n') }
}

const rewrite = async (path: string, lines: string[]): Promise<void> => { await writeFile(path, `${lines.join('\n')}\n`) }

t.test('an untouched chain verifies', async (t) => {
  const { path } = await chainOf(t)
  t.match(await verifyAuditFile(path), { ok: true, lines: 10, firstSeq: 1, head: { seq: 10 } })
})

t.test('an edited line is detected at that line', async (t) => {
  const { path, lines } = await chainOf(t)
  lines[3] = lines[3].replace('"action":"deny"', '"action":"allow"')
  await rewrite(path, lines)
  t.match(await verifyAuditFile(path), { ok: false, line: 4, reason: /edited/ })
})

t.test('an edited line with a recomputed hash is detected at the next line', async (t) => {
  const { path, lines } = await chainOf(t)
  const forged = { ...JSON.parse(lines[3]), action: 'allow' }
  forged.hash = hashLine(forged)
  lines[3] = JSON.stringify(forged)
  await rewrite(path, lines)
  t.match(await verifyAuditFile(path), { ok: false, line: 5, reason: /prev does not match the hash of line 4/ })
})

t.test('a deleted line is detected where it was', async (t) => {
  const { path, lines } = await chainOf(t)
  lines.splice(3, 1)
  await rewrite(path, lines)
  t.match(await verifyAuditFile(path), { ok: false, line: 4, reason: /removed, inserted or reordered/ })
})

t.test('reordered lines are detected at the first moved line', async (t) => {
  const { path, lines } = await chainOf(t)
  ;[lines[5], lines[6]] = [lines[6], lines[5]]
  await rewrite(path, lines)
  t.match(await verifyAuditFile(path), { ok: false, line: 6, reason: /prev does not match/ })
})

t.test('garbage, blank lines and a forged first line are detected', async (t) => {
  const { path, lines } = await chainOf(t, 3)
  await rewrite(path, [lines[0], 'not json', lines[2]])
  t.match(await verifyAuditFile(path), { ok: false, line: 2, reason: 'not valid JSON' })
  await rewrite(path, [lines[0], '', lines[1]])
  t.match(await verifyAuditFile(path), { ok: false, line: 2, reason: 'empty line' })
  await rewrite(path, [lines[0], '{"a":1}'])
  t.match(await verifyAuditFile(path), { ok: false, line: 2, reason: /needs seq, prev and hash/ })
  const first = { ...JSON.parse(lines[0]), prev: 'f'.repeat(64) }
  first.hash = hashLine(first)
  await rewrite(path, [JSON.stringify(first)])
  t.match(await verifyAuditFile(path), { ok: false, line: 1, reason: /genesis/ })
})

t.test('lines missing from the start are reported, unless the file is declared a continuation', async (t) => {
  const { path, lines } = await chainOf(t, 5)
  await rewrite(path, lines.slice(2))
  t.match(await verifyAuditFile(path), { ok: false, line: 1, reason: /starts at seq 3, not 1: earlier lines are missing/ })
  t.match(await verifyAuditFile(path, { after: null }), { ok: true, lines: 3, firstSeq: 3 }, 'any start accepted')
  const older = join(t.testdirName, 'older.log')
  await rewrite(older, lines.slice(0, 2))
  const first = await verifyAuditFile(older)
  t.match(first, { ok: true, lines: 2, head: { seq: 2 } })
  t.match(await verifyAuditFile(path, { after: first.ok ? first.head : undefined }), { ok: true, lines: 3, firstSeq: 3 }, 'a rotated file continues the older one')
  await rewrite(older, lines.slice(0, 1))
  const wrongHead = await verifyAuditFile(older)
  t.match(await verifyAuditFile(path, { after: wrongHead.ok ? wrongHead.head : undefined }), { ok: false, line: 1, reason: /the line before it \(seq 1\)/ }, 'a gap between files is found')
})

t.test('a restart continues the chain from the file', async (t) => {
  const path = join(t.testdir(), 'audit.log')
  await writeChain(path, 3)
  await writeChain(path, 2, 4)
  const seqs = (await readFile(path, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l).seq)
  t.same(seqs, [1, 2, 3, 4, 5])
  t.match(await verifyAuditFile(path), { ok: true, lines: 5, firstSeq: 1 })
})

t.test('after a torn last line, a restart starts a fresh line and verify names the torn one', async (t) => {
  const path = join(t.testdir(), 'audit.log')
  await writeChain(path, 3)
  await appendFile(path, '{"time":"2026-')
  await writeChain(path, 1, 4)
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n')
  t.equal(lines.length, 5)
  t.equal(JSON.parse(lines[4]).seq, 4, 'the chain continues from the last complete line')
  t.match(await verifyAuditFile(path), { ok: false, line: 4, reason: 'not valid JSON' })
})

t.test('canonical JSON does not depend on key order', async (t) => {
  fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
    const reversed = Object.fromEntries(Object.entries(obj).reverse())
    return canonicalJson(obj) === canonicalJson(reversed) && hashLine(obj) === hashLine(JSON.parse(JSON.stringify(reversed)))
  }))
  t.equal(canonicalJson({ b: [1, { d: 2, c: null }], a: 'x' }), '{"a":"x","b":[1,{"c":null,"d":2}]}')
})

t.test('a value hashes as what a reader parses back from its JSON (dates, undefined, boxed values, non-finite numbers)', async (t) => {
  const values = fc.anything({ withDate: true, withBoxedValues: true, withNullPrototype: true, withSparseArray: true, withTypedArray: true, withMap: true, withSet: true })
  fc.assert(fc.property(values, (v) => {
    const line = { v, seq: 1 }
    return canonicalJson(line) === canonicalJson(JSON.parse(JSON.stringify(line)))
  }), { numRuns: 2000 })
  t.equal(canonicalJson({ at: new Date(0), gone: undefined, list: [undefined, NaN, -0, () => 1] }), '{"at":"1970-01-01T00:00:00.000Z","list":[null,null,0,null]}')
})

t.test('a sealed line is what was recorded, with seq, prev and a hash that verifies', async (t) => {
  const { path, lines } = await chainOf(t, 2)
  const first = JSON.parse(lines[0])
  t.same(Object.keys(first).slice(0, 3), ['time', 'seq', 'prev'])
  t.equal(Object.keys(first).at(-1), 'hash')
  t.equal(first.hash, hashLine(first))
  t.equal(lines[0], JSON.stringify(first), 'the written text is plain JSON.stringify of the line')
  t.match(await verifyAuditFile(path), { ok: true, lines: 2 })
})
