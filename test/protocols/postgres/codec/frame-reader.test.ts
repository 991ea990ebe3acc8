import t from 'tap'
import fc from 'fast-check'
import { FrameReader, STARTUP_FRAME, Writer } from '../../../../src/protocols/postgres/codec/index.js'
import { GatehouseError, ProtocolError, TooLargeError } from '../../../../src/core/errors.js'
import { encodeQuery } from '../../../../src/protocols/postgres/messages/query.js'
import { encodeSync } from '../../../../src/protocols/postgres/messages/sync.js'
import { encodeStartupMessage } from '../../../../src/protocols/postgres/messages/startup-message.js'

const collect = (r: FrameReader): Buffer[] => {
  const out: Buffer[] = []
  for (let f = r.next(); f !== undefined; f = r.next()) out.push(Buffer.from(f.raw))
  return out
}

t.test('frames split at any points come out whole and in order', async (t) => {
  const frames = [encodeQuery({ sql: 'select 1' }), encodeSync(), encodeQuery({ sql: 'x'.repeat(300) })]
  const stream = Buffer.concat(frames)
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 20 }), (cuts) => {
    const r = new FrameReader('client')
    const points = [...new Set([0, ...cuts, stream.length])].sort((a, b) => a - b)
    const got: Buffer[] = []
    for (let i = 1; i < points.length; i++) {
      r.push(stream.subarray(points[i - 1], points[i]))
      got.push(...collect(r))
    }
    return got.length === 3 && got.every((g, i) => g.equals(frames[i])) && r.buffered === 0
  }))
})

t.test('a frame that arrived whole is a view of the chunk, not a copy', async (t) => {
  const chunk = Buffer.concat([encodeSync(), encodeSync()])
  const r = new FrameReader('server')
  r.push(chunk)
  const f = r.next()
  t.equal(f?.raw.buffer, chunk.buffer)
  t.equal(f?.from, 'server')
})

t.test('a length over the limit is refused when the header arrives, before the body is buffered', async (t) => {
  const r = new FrameReader('client', 1024)
  const header = Buffer.from([0x51, 0, 0, 0x10, 0])
  r.push(header)
  t.throws(() => r.next(), TooLargeError)
})

t.test('a length under 4 is a protocol error', async (t) => {
  const r = new FrameReader('client')
  r.push(Buffer.from([0x51, 0, 0, 0, 3]))
  t.throws(() => r.next(), ProtocolError)
})

t.test('startup packets are read without a type byte and bounded to 10000 bytes', async (t) => {
  const r = new FrameReader('client')
  const startup = encodeStartupMessage({ version: 196608, params: { user: 'alice' } })
  r.push(startup)
  const f = r.next(true)
  t.equal(f?.code, STARTUP_FRAME)
  t.ok(f?.raw.equals(startup))
  const big = Buffer.alloc(8)
  big.writeInt32BE(10_001)
  r.push(big)
  t.throws(() => r.next(true), ProtocolError)
})

t.test('random bytes only ever raise gatehouse errors', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, untyped) => {
    const r = new FrameReader('client', 4096)
    r.push(Buffer.from(bytes))
    try {
      while (r.next(untyped) !== undefined) { /* drain */ }
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err
    }
  }))
})

t.test('large frames of streamed codes come out in pieces that add up to the frame, whatever the chunking', async (t) => {
  const big = new Writer().bytes(Buffer.alloc(3000, 7)).frame(0x44)
  const small = encodeSync()
  const stream = Buffer.concat([small, big, small, new Writer().bytes(Buffer.alloc(50, 1)).frame(0x44)])
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 30 }), (cuts) => {
    const r = new FrameReader('server')
    const points = [...new Set([0, ...cuts, stream.length])].sort((a, b) => a - b)
    const out: Buffer[] = []
    const kinds: string[] = []
    for (let i = 1; i < points.length; i++) {
      r.push(stream.subarray(points[i - 1], points[i]))
      for (let p = r.nextPart(new Set([0x44]), 1000); p !== undefined; p = r.nextPart(new Set([0x44]), 1000)) {
        out.push(p.kind === 'frame' ? p.frame.raw : p.bytes)
        kinds.push(p.kind)
        if (p.kind === 'frame' || (p.kind === 'body' && p.isLast)) kinds.push('|')
      }
    }
    const frames = kinds.join(' ').split('|').map((s) => s.trim()).filter((s) => s !== '')
    return Buffer.concat(out).equals(stream) && frames.length === 4 && frames[0] === 'frame' && frames[2] === 'frame' && frames[3] === 'frame' &&
      (frames[1] === 'frame' || frames[1].startsWith('head'))
  }))
})
