import type { ProtocolPlugin } from '../plugin/index.js'

/** TLS record type handshake (0x16), major version 3: the first bytes of every ClientHello. */
const TLS_HANDSHAKE = 0x16
const TLS_MAJOR = 0x03

export type SniffResult =
  | { kind: 'tls' }
  | { kind: 'plugin'; plugin: ProtocolPlugin }
  | { kind: 'need-more' }
  | { kind: 'unknown' }

/**
 * Decides from the first bytes who takes a connection: TLS (when the listener may terminate it) or one
 * of the listener's protocol plugins. 'need-more' while some candidate cannot tell yet.
 */
export function sniff (head: Buffer, plugins: readonly ProtocolPlugin[], tlsAllowed: boolean): SniffResult {
  if (tlsAllowed && head.length >= 1 && head[0] === TLS_HANDSHAKE) {
    if (head.length < 2) return { kind: 'need-more' }
    if (head[1] === TLS_MAJOR) return { kind: 'tls' }
  }
  let undecided = false
  for (const plugin of plugins) {
    const verdict = plugin.sniff(head)
    if (verdict === 'yes') return { kind: 'plugin', plugin }
    if (verdict === 'need-more') undecided = true
  }
  return undecided ? { kind: 'need-more' } : { kind: 'unknown' }
}

/** Whether the bytes look like the start of a TLS ClientHello, whatever the listener allows. */
export function isTlsClientHello (head: Buffer): boolean {
  return head.length >= 2 && head[0] === TLS_HANDSHAKE && head[1] === TLS_MAJOR
}
