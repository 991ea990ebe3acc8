import t from 'tap'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { ensureLocalCa, loadTlsMaterial } from '../../../src/core/tls/index.js'

t.test('tls: auto makes a CA and a server certificate that verifies against it, once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-tls-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const first = await loadTlsMaterial({ mode: 'auto' }, dir, ['127.0.0.1', 'gw.internal'])
  t.ok(first?.caFile)
  const ca = new X509Certificate(await readFile(first!.caFile!))
  const cert = new X509Certificate(first!.cert)
  t.ok(ca.ca, 'the CA certificate is a CA')
  t.ok(cert.verify(ca.publicKey), 'the server certificate is signed by the local CA')
  t.ok(cert.checkHost('localhost'))
  t.ok(cert.checkHost('gw.internal'), 'listener hosts are covered')
  t.ok(cert.checkIP('127.0.0.1'))
  t.ok(cert.checkIP('::1'))
  t.equal((await stat(join(dir, 'tls', 'ca.key'))).mode & 0o777, 0o600, 'the CA key is private')

  const again = await ensureLocalCa(join(dir, 'tls'), ['127.0.0.1', 'gw.internal'])
  t.equal(again.cert, first!.cert, 'reused after a restart')
  const widened = await ensureLocalCa(join(dir, 'tls'), ['10.1.2.3'])
  t.not(widened.cert, first!.cert, 'a new listener host re-issues the server certificate')
  t.equal(await readFile(widened.caFile!, 'utf8'), await readFile(first!.caFile!, 'utf8'), 'with the same CA')
})

t.test('tls from files: missing files are a clear config error', async (t) => {
  await t.rejects(loadTlsMaterial({ mode: 'files', cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' }, '/tmp', []), {
    code: 'GH_CONFIG', message: /cannot read \/nonexistent\/(key|cert)\.pem \(ENOENT\)/
  })
})
