import t from 'tap'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createAuditLog } from '../../../src/core/audit/index.js'
import { createLogger } from '../../../src/core/log/index.js'
import { sampleEntry } from '../../core/audit/sample-entry.js'
import { runGatehouse } from './run-gatehouse.js'

const log = createLogger({ level: 'silent', destination: { write: () => {} } })

async function writeChain (path: string, count: number): Promise<void> {
  const audit = await createAuditLog({ sinks: [{ type: 'file', path }], recordSessions: false }, { log, dataDir: t.testdirName })
  for (let i = 1; i <= count; i++) audit.record(sampleEntry(i))
  await audit.close()
}

t.test('verify FILE prints ok with the line count', async (t) => {
  const cwd = t.testdir()
  await writeChain(join(cwd, 'a.log'), 7)
  const r = await runGatehouse(cwd, ['audit', 'verify', 'a.log'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'ok: 7 lines\n')
})

t.test('without FILE it verifies the configured file sink', async (t) => {
  const cwd = t.testdir()
  // Dev mode's file sink is .gatehouse/audit.log.
  await writeChain(join(cwd, '.gatehouse', 'audit.log'), 3)
  const r = await runGatehouse(cwd, ['audit', 'verify'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'ok: 3 lines\n')
})

t.test('a broken chain exits 1 naming the first bad line and why', async (t) => {
  const cwd = t.testdir()
  const path = join(cwd, 'a.log')
  await writeChain(path, 6)
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n')
  lines.splice(2, 1)
  await writeFile(path, `${lines.join('\n')}\n`)
  const r = await runGatehouse(cwd, ['audit', 'verify', 'a.log'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.match(r.stderr, /^gatehouse audit verify: a\.log:3: prev does not match the hash of line 2/)
})

t.test('a missing file and a wrong subcommand are reported', async (t) => {
  const cwd = t.testdir()
  const missing = await runGatehouse(cwd, ['audit', 'verify', 'nope.log'])
  t.equal(missing.code, 1)
  t.equal(missing.stderr, 'gatehouse audit verify: nope.log: no such file\n')
  const wrong = await runGatehouse(cwd, ['audit', 'check'])
  t.equal(wrong.code, 2)
  t.match(wrong.stderr, /usage: gatehouse audit verify/)
})

t.test('rotated files verify as one chain, oldest first; a lone newer file needs --continues', async (t) => {
  const cwd = t.testdir()
  await writeChain(join(cwd, 'all.log'), 6)
  const lines = (await readFile(join(cwd, 'all.log'), 'utf8')).trimEnd().split('\n')
  await writeFile(join(cwd, 'audit.log.1'), `${lines.slice(0, 4).join('\n')}\n`)
  await writeFile(join(cwd, 'audit.log'), `${lines.slice(4).join('\n')}\n`)
  const both = await runGatehouse(cwd, ['audit', 'verify', 'audit.log.1', 'audit.log'])
  t.equal(both.stdout, 'ok: 6 lines\n', both.stderr)
  const lone = await runGatehouse(cwd, ['audit', 'verify', 'audit.log'])
  t.equal(lone.code, 1)
  t.match(lone.stderr, /^gatehouse audit verify: audit\.log:1: the chain starts at seq 5, not 1/)
  const continues = await runGatehouse(cwd, ['audit', 'verify', '--continues', 'audit.log'])
  t.equal(continues.stdout, 'ok: 2 lines (continues a chain from seq 4)\n', continues.stderr)
  const wrongOrder = await runGatehouse(cwd, ['audit', 'verify', 'audit.log', 'audit.log.1'])
  t.equal(wrongOrder.code, 1)
})
