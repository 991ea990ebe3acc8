import t from 'tap'
import { createHash } from 'node:crypto'
import { connect } from 'node:net'
import { startGatewayFixture, TOKEN } from './gateway-fixture.js'
import { FrameReader, BACKEND } from '../../../src/protocols/postgres/codec/index.js'
import { encodeStartupMessage } from '../../../src/protocols/postgres/messages/startup-message.js'
import { encodePasswordMessage } from '../../../src/protocols/postgres/messages/password-message.js'
import { encodeQuery } from '../../../src/protocols/postgres/messages/query.js'

const gw = await startGatewayFixture(t)
const VALUE_BYTES = 100 * 1024 * 1024
/**
 * gatehouse relays a large row as it arrives, so memory stays well under the value's size (buffering it
 * whole measured 220 MiB; streaming ~30 MiB, more on a loaded machine where garbage is collected later).
 */
const MAX_GROWTH_BYTES = 60 * 1024 * 1024

t.test('a 100 MB value is relayed intact without being buffered whole', async (t) => {
  const socket = connect({ host: gw.host, port: gw.port })
  t.teardown(() => { socket.destroy() })
  const reader = new FrameReader('server', 1024 * 1024 * 1024)
  const STREAM = new Set([BACKEND.DATA_ROW])
  const hash = createHash('md5')
  // Position inside the big DataRow: header (5), column count (2), value length (4), value, md5 column.
  let offset = 0
  let valueLength = -1
  const tail: Buffer[] = []
  const onRowBytes = (bytes: Buffer): void => {
    if (valueLength === -1) valueLength = bytes.readInt32BE(7)
    const valueStart = 11
    const valueEnd = valueStart + valueLength
    const from = Math.max(offset, valueStart)
    const to = Math.min(offset + bytes.length, valueEnd)
    if (from < to) hash.update(bytes.subarray(from - offset, to - offset))
    if (offset + bytes.length > valueEnd) tail.push(bytes.subarray(Math.max(0, valueEnd - offset)))
    offset += bytes.length
  }
  let ready = 0
  let peak = 0
  let wake: (() => void) | undefined
  const baseline = process.memoryUsage().arrayBuffers
  socket.on('data', (chunk: Buffer) => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline)
    reader.push(chunk)
    for (let p = reader.nextPart(STREAM, 1024 * 1024); p !== undefined; p = reader.nextPart(STREAM, 1024 * 1024)) {
      if (p.kind !== 'frame') {
        onRowBytes(p.bytes)
        continue
      }
      if (p.frame.code === BACKEND.READY_FOR_QUERY) ready++
      if (p.frame.code === BACKEND.AUTHENTICATION && p.frame.body.readInt32BE(0) === 3) socket.write(encodePasswordMessage(TOKEN))
    }
    wake?.()
  })
  const until = async (cond: () => boolean): Promise<void> => { while (!cond()) await new Promise<void>((resolve) => { wake = resolve }) }
  socket.write(encodeStartupMessage({ version: 196608, params: { user: 'alice', database: 'analytics' } }))
  await until(() => ready === 1)
  socket.write(encodeQuery({ sql: `select repeat('ab', ${VALUE_BYTES / 2}), md5(repeat('ab', ${VALUE_BYTES / 2}))` }))
  await until(() => ready === 2)
  t.equal(valueLength, VALUE_BYTES)
  const md5Column = Buffer.concat(tail).subarray(4).toString()
  t.equal(hash.digest('hex'), md5Column, 'the value that arrived is the one the server hashed')
  t.ok(peak < MAX_GROWTH_BYTES, `memory grew at most ${(peak / 1048576).toFixed(1)} MiB for a ${VALUE_BYTES / 1048576} MiB value`)
})
