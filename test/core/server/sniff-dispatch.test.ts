import t, { type Test } from 'tap'
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { createServer as createHttpServer, request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { Writable } from 'node:stream'
import { startGateway } from '../../../src/core/server/index.js'
import { createLogger } from '../../../src/core/log/index.js'
import { devModeConfig, type GatehouseConfig } from '../../../src/core/config/index.js'
import type { ConnectionInfo, GatewayServices, ProtocolPlugin } from '../../../src/core/plugin/index.js'

/** Log lines the gateway writes, parsed, so tests can assert "one line per bad connection". */
function capturingLogger (): { log: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const destination = new Writable({ write (chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb() } })
  return { log: createLogger({ level: 'info', destination }), lines }
}

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
const GSSENC_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30])
const CANCEL_REQUEST = Buffer.from([0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2])
const STARTUP_30 = Buffer.concat([Buffer.from([0, 0, 0, 23, 0, 3, 0, 0]), Buffer.from('user\0alice\0\0'), Buffer.alloc(2)])
const STARTUP_CODES = new Set([196608, 196610, 80877102, 80877103, 80877104])

interface Handled { plugin: string; first: Buffer; conn: ConnectionInfo }

/**
 * A stand-in postgres plugin: recognises startup-family packets and answers with a tag naming the
 * first code it saw; an SSLRequest is answered 'S' and upgraded through conn.startTls, like the real one.
 */
function fakePostgres (handled: Handled[]): ProtocolPlugin {
  return {
    name: 'postgres',
    sniff (head) {
      if (head.length < 8) return 'need-more'
      return STARTUP_CODES.has(head.readUInt32BE(4)) ? 'yes' : 'no'
    },
    handle (socket: Duplex, conn) {
      socket.once('data', (first: Buffer) => {
        handled.push({ plugin: 'postgres', first, conn })
        const code = first.readUInt32BE(4)
        if (code === 80877103 && conn.startTls !== undefined) {
          socket.write('S')
          void conn.startTls(socket as Socket).then((tlsSocket) => {
            tlsSocket.once('data', (inner: Buffer) => { tlsSocket.end(`tls:${inner.readUInt32BE(4)}`) })
          })
          return
        }
        socket.end(`code:${code}`)
      })
    },
    async close () {}
  }
}

/** A stand-in http plugin: a real node:http server fed the handed-over socket. */
function fakeHttp (handled: Handled[]): ProtocolPlugin {
  const server = createHttpServer((req, res) => { res.end(`http:${req.method} ${req.url}`) })
  return {
    name: 'http-llm',
    sniff (head) {
      const text = head.subarray(0, 8).toString('latin1')
      if (/^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH) /.test(text)) return 'yes'
      return /^[A-Z]{1,7}$/.test(text) ? 'need-more' : 'no'
    },
    handle (socket, conn) {
      handled.push({ plugin: 'http-llm', first: Buffer.alloc(0), conn })
      server.emit('connection', socket)
    },
    async close () { server.close() }
  }
}

async function startTestGateway (t: Test, tls: 'auto' | 'off', handshakeTimeoutMs = 5000): Promise<{ port: number; caFile?: string; handled: Handled[]; lines: Array<Record<string, unknown>> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-sniff-'))
  await chmod(dir, 0o755)
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const base = devModeConfig(dir)
  const config: GatehouseConfig = {
    ...base,
    dataDir: join(dir, 'data'),
    listeners: [{ name: 'both', host: '127.0.0.1', port: 0, protocols: ['postgres', 'http-llm'], tls: { mode: tls }, allowLoopbackPlaintext: true }],
    limits: { ...base.limits, handshakeTimeoutMs }
  }
  const handled: Handled[] = []
  const { log, lines } = capturingLogger()
  const gateway = await startGateway({
    config,
    log,
    services: {} as GatewayServices,
    plugins: [() => fakePostgres(handled), () => fakeHttp(handled)]
  })
  t.teardown(async () => { await gateway.close() })
  const l = gateway.listeners[0]
  return { port: l.port, ...(l.caFile !== undefined ? { caFile: l.caFile } : {}), handled, lines }
}

/** Sends bytes and collects everything until the server closes. */
async function exchange (port: number, bytes: Buffer): Promise<string> {
  return await new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => { s.write(bytes) })
    let out = ''
    s.on('data', (d) => { out += d.toString('latin1') })
    s.on('close', () => { resolve(out) })
    s.on('error', reject)
  })
}


t.test('postgres startup-family packets reach the postgres plugin with their bytes intact', async (t) => {
  const gw = await startTestGateway(t, 'off')
  t.equal(await exchange(gw.port, STARTUP_30), 'code:196608')
  t.equal(await exchange(gw.port, GSSENC_REQUEST), 'code:80877104')
  t.equal(await exchange(gw.port, CANCEL_REQUEST), 'code:80877102')
  t.same(gw.handled.map((h) => h.first.length), [STARTUP_30.length, 8, 16], 'the plugin saw every byte core sniffed')
  t.equal(gw.handled[0].conn.isLoopback, true)
  t.equal(gw.handled[0].conn.encrypted, false)
})

t.test('a startup packet split into single bytes is still recognised', async (t) => {
  const gw = await startTestGateway(t, 'off')
  const reply = await new Promise<string>((resolve) => {
    const s = netConnect(gw.port, '127.0.0.1', async () => {
      for (const b of STARTUP_30) { s.write(Buffer.from([b])); await new Promise((r) => setImmediate(r)) }
    })
    let out = ''
    s.on('data', (d) => { out += d.toString() })
    s.on('close', () => { resolve(out) })
  })
  t.equal(reply, 'code:196608')
})

t.test('HTTP requests reach the http plugin on the same port', async (t) => {
  const gw = await startTestGateway(t, 'off')
  const body = await new Promise<string>((resolve, reject) => {
    httpRequest({ port: gw.port, host: '127.0.0.1', path: '/openai/v1/models', method: 'GET' }, (res) => {
      let b = ''
      res.on('data', (d) => { b += d })
      res.on('end', () => { resolve(b) })
    }).on('error', reject).end()
  })
  t.equal(body, 'http:GET /openai/v1/models')
})

t.test('with tls: auto, a TLS ClientHello is terminated and dispatched by ALPN', async (t) => {
  const gw = await startTestGateway(t, 'auto')
  t.ok(gw.caFile, 'the listener reports its CA file')
  const ca = await readFile(gw.caFile!)

  // PG17 direct SSL: ALPN postgresql, then a startup packet inside TLS.
  const pgReply = await new Promise<string>((resolve, reject) => {
    const s: TLSSocket = tlsConnect({ port: gw.port, host: '127.0.0.1', servername: 'localhost', ca, ALPNProtocols: ['postgresql'] }, () => {
      t.equal(s.alpnProtocol, 'postgresql')
      s.write(STARTUP_30)
    })
    let out = ''
    s.on('data', (d) => { out += d })
    s.on('end', () => { resolve(out) })
    s.on('error', reject)
  })
  t.equal(pgReply, 'code:196608')
  t.equal(gw.handled.at(-1)?.conn.encrypted, true)
  t.equal(gw.handled.at(-1)?.conn.alpn, 'postgresql')

  // HTTPS with ALPN http/1.1.
  const httpsBody = await new Promise<string>((resolve, reject) => {
    httpsRequest({ port: gw.port, host: '127.0.0.1', servername: 'localhost', ca, path: '/x', ALPNProtocols: ['http/1.1'] } as object, (res) => {
      let b = ''
      res.on('data', (d) => { b += d })
      res.on('end', () => { resolve(b) })
    }).on('error', reject).end()
  })
  t.equal(httpsBody, 'http:GET /x')

  // TLS without ALPN: core sniffs again inside the tunnel.
  const noAlpn = await new Promise<string>((resolve, reject) => {
    const s = tlsConnect({ port: gw.port, host: '127.0.0.1', servername: 'localhost', ca }, () => { s.write(STARTUP_30) })
    let out = ''
    s.on('data', (d) => { out += d })
    s.on('end', () => { resolve(out) })
    s.on('error', reject)
  })
  t.equal(noAlpn, 'code:196608')
})

t.test('an SSLRequest is upgraded in-protocol through conn.startTls', async (t) => {
  const gw = await startTestGateway(t, 'auto')
  const ca = await readFile(gw.caFile!)
  const reply = await new Promise<string>((resolve, reject) => {
    const s = netConnect(gw.port, '127.0.0.1', () => { s.write(SSL_REQUEST) })
    s.once('data', (d) => {
      t.equal(d.toString(), 'S')
      const secure = tlsConnect({ socket: s, servername: 'localhost', ca }, () => { secure.write(STARTUP_30) })
      let out = ''
      secure.on('data', (x) => { out += x })
      secure.on('end', () => { resolve(out) })
      secure.on('error', reject)
    })
  })
  t.equal(reply, 'tls:196608')
})

t.test('the auto certificate is refused by a client that does not trust the local CA', async (t) => {
  const gw = await startTestGateway(t, 'auto')
  const err = await new Promise<Error>((resolve) => {
    const s = tlsConnect({ port: gw.port, host: '127.0.0.1', servername: 'localhost' }, () => { resolve(new Error('connected')) })
    s.on('error', resolve)
  })
  t.match(err.message, /self-signed|unable to verify|local issuer/i)
})

t.test('bad first bytes cost nothing and log one line', async (t) => {
  t.test('garbage is closed without a reply', async (t) => {
    const gw = await startTestGateway(t, 'off')
    t.equal(await exchange(gw.port, Buffer.from('\x00\x00\x00\x08garbage!!')), '')
    t.equal(gw.handled.length, 0)
    await new Promise((r) => setTimeout(r, 20))
    const closes = gw.lines.filter((l) => String(l.msg).startsWith('connection closed'))
    t.equal(closes.length, 1)
    t.match(closes[0].msg, /unrecognised protocol/)
  })
  t.test('a TLS ClientHello on a tls: off listener is closed and named', async (t) => {
    const gw = await startTestGateway(t, 'off')
    const err = await new Promise<Error | undefined>((resolve) => {
      const s = tlsConnect({ port: gw.port, host: '127.0.0.1', rejectUnauthorized: false }, () => { resolve(undefined) })
      s.on('error', resolve)
    })
    t.ok(err, 'the TLS client fails')
    await new Promise((r) => setTimeout(r, 20))
    t.match(gw.lines.find((l) => String(l.msg).startsWith('connection closed'))?.msg, /TLS ClientHello on a listener with tls off/)
  })
  t.test('a client that sends nothing is closed at the handshake deadline', async (t) => {
    const gw = await startTestGateway(t, 'off', 150)
    t.equal(await exchange(gw.port, Buffer.alloc(0)), '')
    t.match(gw.lines.at(-1)?.msg, /no protocol handshake within the deadline/)
  })
  t.test('a client that leaves mid-handshake is logged once', async (t) => {
    const gw = await startTestGateway(t, 'off')
    await new Promise<void>((resolve) => {
      const s = netConnect(gw.port, '127.0.0.1', () => { s.end(Buffer.from([0, 0, 0])) })
      s.on('close', () => { resolve() })
    })
    await new Promise((r) => setTimeout(r, 50))
    t.equal(gw.lines.filter((l) => /disconnected before its protocol handshake/.test(String(l.msg))).length, 1)
  })
})
