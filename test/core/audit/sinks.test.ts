import t, { type Test } from 'tap'
import { closeSync, constants, openSync, readSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { createAuditLog, verifyAuditLines, type AuditLog } from '../../../src/core/audit/index.js'
import type { AuditSinkConfig } from '../../../src/core/config/index.js'
import { createLogger } from '../../../src/core/log/index.js'
import { sampleEntry } from './sample-entry.js'

const log = createLogger({ level: 'silent', destination: { write: () => {} } })

interface SinkUnderTest { open (): Promise<AuditLog>; written (): Promise<string> }

/** Every sink type passes the same suite: what was recorded arrives, complete and in order. */
function sinkSuite (name: string, make: (t: Test) => SinkUnderTest): void {
  t.test(`${name} sink`, async (t) => {
    t.test('lines arrive complete, in order, and verify', async (t) => {
      const sink = make(t)
      const audit = await sink.open()
      for (let i = 1; i <= 5000; i++) audit.record(sampleEntry(i))
      await audit.close()
      const lines = (await sink.written()).trimEnd().split('\n')
      t.equal(lines.length, 5000)
      t.same(lines.map((l) => JSON.parse(l).requestId).slice(0, 3), ['req-1', 'req-2', 'req-3'])
      t.match(await verifyAuditLines(lines), { ok: true, lines: 5000, firstSeq: 1 })
    })
    t.test('batched lines reach the destination without a close, a lone line and a remainder alike', async (t) => {
      const sink = make(t)
      const audit = await sink.open()
      t.teardown(async () => { await audit.close() })
      const arrived = async (n: number): Promise<boolean> => {
        // Generous against a loaded machine; the batch delay is SINK_BATCH_MS.
        for (let waited = 0; waited < 5000; waited += 5) {
          if ((await sink.written()).split('\n').length - 1 >= n) return true
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
        return false
      }
      audit.record(sampleEntry(1))
      t.ok(await arrived(1), 'a single line is written after the batch delay')
      // More than one batch at once: one write starts at SINK_BATCH_BYTES, the rest follows it.
      for (let i = 2; i <= 40; i++) audit.record(sampleEntry(i))
      t.ok(await arrived(40), 'what was left after a full batch is written too')
    })
    t.test('a record after close is dropped, not thrown', async (t) => {
      const sink = make(t)
      const audit = await sink.open()
      await audit.close()
      t.doesNotThrow(() => audit.record(sampleEntry(1)))
      t.equal(await sink.written(), '')
    })
  })
}

sinkSuite('file', (t) => {
  const path = join(t.testdir(), 'a', 'b', 'audit.log')
  return {
    open: async () => createAuditLog({ sinks: [{ type: 'file', path }], recordSessions: false }, { log, dataDir: t.testdirName }),
    written: async () => readFile(path, 'utf8')
  }
})

sinkSuite('stdout', (t) => {
  // The stdout sink writes to a descriptor; here one on a file (the sink closes it), so the test's own stdout stays TAP.
  const path = join(t.testdir(), 'stdout.txt')
  const fd = openSync(path, 'w')
  return {
    open: async () => createAuditLog({ sinks: [{ type: 'stdout' }], recordSessions: false }, { log, dataDir: t.testdirName, stdoutFd: fd }),
    written: async () => readFile(path, 'utf8')
  }
})

t.test('an unwritable file sink stops start-up', async (t) => {
  const dir = t.testdir({ 'not-a-dir': 'x' })
  const sinks: AuditSinkConfig[] = [{ type: 'file', path: join(dir, 'not-a-dir', 'audit.log') }]
  await t.rejects(createAuditLog({ sinks, recordSessions: false }, { log, dataDir: dir }))
})

t.test('a stalled sink does not block recording: it drops lines past its buffer and counts them', { skip: process.platform === 'win32' && 'needs a FIFO' }, async (t) => {
  const dir = t.testdir()
  const fifo = join(dir, 'stalled.fifo')
  execFileSync('mkfifo', [fifo])
  // A reader that does not read yet: the pipe fills and the sink's writes stall.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  const logged: string[] = []
  const audit = await createAuditLog({ sinks: [{ type: 'file', path: fifo }], recordSessions: false }, {
    log: createLogger({ level: 'info', destination: { write: (s: string) => { logged.push(s) } } }),
    dataDir: dir,
    maxSinkBufferBytes: 64 * 1024
  })
  for (let i = 1; i <= 3000; i++) audit.record(sampleEntry(i))
  const dropped = audit.stats().dropped[`file:${fifo}`]
  t.ok(dropped > 0, `lines dropped while stalled: ${dropped}`)
  t.equal(audit.stats().lines, 3000, 'every record() returned and was sealed')
  t.ok(logged.some((l) => l.includes('lines dropped')), 'the drop is logged')

  let received = ''
  let isEof = false
  const chunk = Buffer.alloc(64 * 1024)
  const drainUntil = async (isDone: () => boolean): Promise<void> => {
    while (!isDone()) {
      let n = -1
      try {
        n = readSync(reader, chunk)
        isEof = n === 0
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
      }
      // Nothing to read (EAGAIN, or EOF once the sink closed): let the sink and the close run.
      if (n <= 0) await new Promise((resolve) => setTimeout(resolve, 1))
      else received += chunk.toString('utf8', 0, n)
    }
  }
  const count = (): number => received.split('\n').length - 1
  await drainUntil(() => count() === 3000 - dropped)
  t.pass('once the reader catches up, everything that was not dropped arrives')

  for (let i = 3001; i <= 3010; i++) audit.record(sampleEntry(i))
  let closed = false
  const closing = audit.close().then(() => { closed = true })
  await drainUntil(() => closed && isEof)
  await closing
  closeSync(reader)
  t.equal(count(), 3010 - audit.stats().dropped[`file:${fifo}`], 'the lines recorded after the stall arrived')
  t.match(await verifyAuditLines(received.trimEnd().split('\n')), { ok: false, line: 3001 - dropped, reason: /a sink dropped lines/ },
    'lines written after the stall show the gap in the chain')
})

t.test('a sink whose writes fail is logged and does not stop recording', async (t) => {
  const dir = t.testdir({ 'read-only.txt': '' })
  // A descriptor opened for reading: every write to it fails with EBADF.
  const fd = openSync(join(dir, 'read-only.txt'), 'r')
  const logged: string[] = []
  const path = join(dir, 'audit.log')
  const audit = await createAuditLog({ sinks: [{ type: 'stdout' }, { type: 'file', path }], recordSessions: false }, {
    log: createLogger({ level: 'info', destination: { write: (s: string) => { logged.push(s) } } }),
    dataDir: dir,
    stdoutFd: fd
  })
  for (let i = 1; i <= 3; i++) audit.record(sampleEntry(i))
  await audit.close()
  t.equal(logged.filter((l) => l.includes('sink write failed')).length, 1, 'one log line, not one per write')
  t.match(await verifyAuditLines((await readFile(path, 'utf8')).trimEnd().split('\n')), { ok: true, lines: 3 }, 'the other sink got every line')
})
