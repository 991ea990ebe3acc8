import t from 'tap'
import { connect } from 'node:net'
import { startGatewayFixture, TOKEN } from './gateway-fixture.js'
import { FrameReader, BACKEND } from '../../../src/protocols/postgres/codec/index.js'
import { encodeStartupMessage } from '../../../src/protocols/postgres/messages/startup-message.js'
import { encodePasswordMessage } from '../../../src/protocols/postgres/messages/password-message.js'
import { encodeQuery } from '../../../src/protocols/postgres/messages/query.js'

const gw = await startGatewayFixture(t)

const ROWS = 100_000
const ROW_BYTES = 1000
/** A client that stops reading must not make gatehouse buffer the result: far less than the 100 MB. */
const MAX_GROWTH_BYTES = 48 * 1024 * 1024

t.test('a client that stops reading pauses the upstream; the result then arrives whole', async (t) => {
  const socket = connect({ host: gw.host, port: gw.port })
  t.teardown(() => { socket.destroy() })
  const reader = new FrameReader('server')
  let readyCount = 0
  let rows = 0
  let bytes = 0
  let wake: (() => void) | undefined
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length
    reader.push(chunk)
    for (let f = reader.next(); f !== undefined; f = reader.next()) {
      if (f.code === BACKEND.DATA_ROW) rows++
      if (f.code === BACKEND.READY_FOR_QUERY) readyCount++
      if (f.code === BACKEND.AUTHENTICATION && f.body.readInt32BE(0) === 3) socket.write(encodePasswordMessage(TOKEN))
    }
    wake?.()
  })
  const until = async (cond: () => boolean): Promise<void> => {
    while (!cond()) await new Promise<void>((resolve) => { wake = resolve })
  }
  socket.write(encodeStartupMessage({ version: 196608, params: { user: 'alice', database: 'analytics' } }))
  await until(() => readyCount === 1)

  global.gc?.()
  const baseline = process.memoryUsage().arrayBuffers
  socket.write(encodeQuery({ sql: `select repeat('x', ${ROW_BYTES}) from generate_series(1, ${ROWS})` }))
  await until(() => rows > 0)
  socket.pause()
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const growth = process.memoryUsage().arrayBuffers - baseline
  t.ok(growth < MAX_GROWTH_BYTES, `memory grew by ${(growth / 1048576).toFixed(1)} MiB while the client was not reading`)
  t.ok(bytes < ROWS * ROW_BYTES / 4, `only ${(bytes / 1048576).toFixed(1)} MiB reached the client before it paused`)
  socket.resume()
  await until(() => readyCount === 2)
  t.equal(rows, ROWS)
})

t.test('two million rows stream through in bounded memory', async (t) => {
  const socket = connect({ host: gw.host, port: gw.port })
  t.teardown(() => { socket.destroy() })
  const reader = new FrameReader('server')
  let readyCount = 0
  let rows = 0
  let last = ''
  let peak = 0
  let wake: (() => void) | undefined
  const baseline = process.memoryUsage().arrayBuffers
  socket.on('data', (chunk: Buffer) => {
    reader.push(chunk)
    for (let f = reader.next(); f !== undefined; f = reader.next()) {
      if (f.code === BACKEND.DATA_ROW) {
        rows++
        if (rows % 100_000 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline)
        last = f.body.toString('latin1', 6)
      }
      if (f.code === BACKEND.READY_FOR_QUERY) readyCount++
      if (f.code === BACKEND.AUTHENTICATION && f.body.readInt32BE(0) === 3) socket.write(encodePasswordMessage(TOKEN))
    }
    wake?.()
  })
  const until = async (cond: () => boolean): Promise<void> => {
    while (!cond()) await new Promise<void>((resolve) => { wake = resolve })
  }
  socket.write(encodeStartupMessage({ version: 196608, params: { user: 'alice', database: 'analytics' } }))
  await until(() => readyCount === 1)
  socket.write(encodeQuery({ sql: 'select g from generate_series(1, 2000000) g' }))
  await until(() => readyCount === 2)
  t.equal(rows, 2_000_000)
  t.equal(last, '2000000')
  t.ok(peak < MAX_GROWTH_BYTES, `memory grew at most ${(peak / 1048576).toFixed(1)} MiB`)
})
