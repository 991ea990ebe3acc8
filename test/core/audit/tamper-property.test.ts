import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { createAuditLog, verifyAuditLines } from '../../../src/core/audit/index.js'
import { createLogger } from '../../../src/core/log/index.js'
import { sampleEntry } from './sample-entry.js'

const log = createLogger({ level: 'silent', destination: { write: () => {} } })
const COUNT = 40

t.test('any single deletion, swap or edit is reported at the line where it happened', async (t) => {
  const path = join(t.testdir(), 'audit.log')
  const audit = await createAuditLog({ sinks: [{ type: 'file', path }], recordSessions: false }, { log, dataDir: t.testdirName })
  for (let i = 1; i <= COUNT; i++) audit.record(sampleEntry(i))
  await audit.close()
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n')
  t.match(await verifyAuditLines(lines), { ok: true, lines: COUNT, firstSeq: 1 })

  const tamper = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at: fc.integer({ min: 0, max: COUNT - 2 }) }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.integer({ min: 0, max: COUNT - 2 }) }),
    fc.record({ kind: fc.constant('edit' as const), at: fc.integer({ min: 0, max: COUNT - 1 }), sub: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== 'alice') })
  )
  await fc.assert(fc.asyncProperty(tamper, async (op) => {
    const copy = [...lines]
    if (op.kind === 'delete') copy.splice(op.at, 1)
    else if (op.kind === 'swap') [copy[op.at], copy[op.at + 1]] = [copy[op.at + 1], copy[op.at]]
    else copy[op.at] = JSON.stringify({ ...JSON.parse(copy[op.at]), identity: { sub: op.sub } })
    const verdict = await verifyAuditLines(copy)
    return !verdict.ok && verdict.line === op.at + 1
  }))
})
