import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { join } from 'node:path'
import forge from 'node-forge'
import type { ListenerTls } from '../config/index.js'
import { ConfigError } from '../errors.js'

/** Key and certificate chain a TLS listener serves, plus the CA file clients should trust (auto mode). */
export interface TlsMaterial {
  key: string
  cert: string
  /** Path of the local CA certificate, for sslrootcert / NODE_EXTRA_CA_CERTS (tls: auto only). */
  caFile?: string
}

const CA_YEARS = 10
const SERVER_DAYS = 397
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000
/** Names every auto certificate covers, so loopback clients can verify whatever they dial. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1']

/** The key and certificate for a listener: from files, or from the local CA in data_dir (tls: auto). */
export async function loadTlsMaterial (tls: ListenerTls, dataDir: string, hosts: string[]): Promise<TlsMaterial | undefined> {
  if (tls.mode === 'off') return undefined
  if (tls.mode === 'files') {
    try {
      return { key: await readFile(tls.key, 'utf8'), cert: await readFile(tls.cert, 'utf8') }
    } catch (err) {
      throw new ConfigError([`tls: cannot read ${(err as NodeJS.ErrnoException).path ?? 'certificate files'} (${(err as NodeJS.ErrnoException).code ?? 'error'})`])
    }
  }
  return await ensureLocalCa(join(dataDir, 'tls'), hosts)
}

interface Pem { key: string; cert: string }

/**
 * Made once on first start and reused after: a local CA and a server certificate it signs for the
 * loopback names plus the listeners' hosts. The server certificate is re-issued when it nears expiry
 * or a listener host is not covered.
 */
export async function ensureLocalCa (dir: string, hosts: string[]): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const caFile = join(dir, 'ca.crt')
  const caKeyFile = join(dir, 'ca.key')
  const certFile = join(dir, 'server.crt')
  const keyFile = join(dir, 'server.key')
  const names = [...new Set([...LOOPBACK_NAMES, ...hosts.filter((h) => h !== '0.0.0.0' && h !== '::' && h !== '')])]

  let ca: Pem
  if (existsSync(caFile) && existsSync(caKeyFile)) {
    ca = { cert: await readFile(caFile, 'utf8'), key: await readFile(caKeyFile, 'utf8') }
  } else {
    ca = issue({ commonName: 'gatehouse local CA', isCa: true, validMs: CA_YEARS * 365 * 24 * 3600 * 1000 })
    await writeFile(caKeyFile, ca.key, { mode: 0o600 })
    await writeFile(caFile, ca.cert, { mode: 0o644 })
  }
  if (existsSync(certFile) && existsSync(keyFile)) {
    const current = { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') }
    if (isUsable(current.cert, ca.cert, names)) return { ...current, caFile }
  }
  const server = issue({ commonName: 'gatehouse', names, validMs: SERVER_DAYS * 24 * 3600 * 1000, issuer: ca })
  await writeFile(keyFile, server.key, { mode: 0o600 })
  await writeFile(certFile, server.cert, { mode: 0o644 })
  return { ...server, caFile }
}

function isUsable (certPem: string, caPem: string, names: string[]): boolean {
  const cert = new X509Certificate(certPem)
  if (!cert.verify(new X509Certificate(caPem).publicKey)) return false
  if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false
  return names.every((n) => (isIP(n) !== 0 ? cert.checkIP(n) : cert.checkHost(n)) !== undefined)
}

interface IssueOptions { commonName: string; validMs: number; isCa?: boolean; names?: string[]; issuer?: Pem }

/** node:crypto makes the key (fast, native); node-forge builds and signs the X.509 certificate. */
function issue (opts: IssueOptions): Pem {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const key = forge.pki.privateKeyFromPem(keyPem)
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e)
  // A positive serial: the high bit cleared.
  cert.serialNumber = '0' + randomBytes(15).toString('hex')
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + opts.validMs)
  const subject = [{ name: 'commonName', value: opts.commonName }, { name: 'organizationName', value: 'gatehouse' }]
  cert.setSubject(subject)
  const issuerCert = opts.issuer !== undefined ? forge.pki.certificateFromPem(opts.issuer.cert) : undefined
  cert.setIssuer(issuerCert?.subject.attributes ?? subject)
  const extensions: object[] = opts.isCa === true
    ? [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }, { name: 'subjectKeyIdentifier' }]
    : [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: (opts.names ?? []).map((n) => isIP(n) !== 0 ? { type: 7, ip: n } : { type: 2, value: n }) }
      ]
  cert.setExtensions(extensions)
  const signer = opts.issuer !== undefined ? forge.pki.privateKeyFromPem(opts.issuer.key) : key
  cert.sign(signer, forge.md.sha256.create())
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) }
}
