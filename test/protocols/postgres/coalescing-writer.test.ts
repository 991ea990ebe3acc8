import t from 'tap'
import { Writable } from 'node:stream'
import { CoalescingWriter } from '../../../src/protocols/postgres/coalescing-writer.js'

/** A socket stand-in that keeps what each write() was given; `highWaterMark` decides when it asks for 'drain'. */
function recordingSocket (highWaterMark = 1024 * 1024): { socket: Writable; writes: Buffer[] } {
  const writes: Buffer[] = []
  const socket = new Writable({ highWaterMark, write (_chunk, _enc, cb) { setImmediate(cb) } })
  const write = socket.write.bind(socket)
  socket.write = ((chunk: Buffer) => { writes.push(chunk); return write(chunk) }) as Writable['write']
  return { socket, writes }
}

/** Pushes `frames` into a new writer, flushes it once, and returns what each socket write carried. */
function flushedWrites (...frames: Buffer[]): string[] {
  const { socket, writes } = recordingSocket()
  const w = new CoalescingWriter()
  for (const f of frames) w.push(f)
  w.flushTo(socket)
  return writes.map((b) => b.toString())
}

t.test('frames that are consecutive views of one chunk leave as one write of that memory, not a copy', async (t) => {
  const chunk = Buffer.from('aaaabbbbbcccccc')
  const { socket, writes } = recordingSocket()
  const w = new CoalescingWriter()
  w.push(chunk.subarray(0, 4))
  w.push(chunk.subarray(4, 9))
  w.push(chunk.subarray(9))
  t.equal(w.flushTo(socket), true)
  t.equal(writes.length, 1)
  t.equal(writes[0].toString(), 'aaaabbbbbcccccc')
  t.equal(writes[0].buffer, chunk.buffer, 'a view of the received chunk')
  t.equal(writes[0].byteOffset, chunk.byteOffset)
  t.ok(w.isEmpty)
})

t.test('frames from different places are joined in order into one write', async (t) => {
  const chunk = Buffer.from('aaaabbbbcccc')
  t.same(flushedWrites(chunk.subarray(0, 4), chunk.subarray(4, 8), Buffer.from('XY'), chunk.subarray(8)), ['aaaabbbbXYcccc'])
})

t.test('a gap in the same chunk is not bridged', async (t) => {
  const chunk = Buffer.from('aaaa--bbbb')
  t.same(flushedWrites(chunk.subarray(0, 4), chunk.subarray(6)), ['aaaabbbb'])
})

t.test('clear() forgets everything collected, merged runs included', async (t) => {
  const chunk = Buffer.from('aaaabbbb')
  const { socket, writes } = recordingSocket()
  const w = new CoalescingWriter()
  w.push(chunk.subarray(0, 4))
  w.push(chunk.subarray(4))
  w.clear()
  t.ok(w.isEmpty)
  w.push(chunk.subarray(4))
  w.flushTo(socket)
  t.same(writes.map((b) => b.toString()), ['bbbb'])
})

t.test('flushTo says false when the socket wants the writer to wait for drain', async (t) => {
  const { socket } = recordingSocket(4)
  const w = new CoalescingWriter()
  w.push(Buffer.from('more than four bytes'))
  t.equal(w.flushTo(socket), false)
  t.equal(w.flushTo(socket), true, 'nothing left to write')
})
