import type { PostgresTargetConfig } from '../../../core/config/index.js'
import { encodeCancelRequest } from '../messages/cancel-request.js'
import type { BackendKeyData } from '../messages/backend-key-data.js'
import { openSocket } from './connect-upstream.js'
import { negotiateUpstreamTls } from './upstream-tls.js'
import { upstreamAddress } from './upstream-address.js'

/**
 * Sends a CancelRequest for an upstream backend on a new connection, over TLS when the target wants it.
 * The server never answers; it closes the connection.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-CANCELING-REQUESTS
 */
export async function cancelUpstream (target: PostgresTargetConfig, key: BackendKeyData, timeoutMs: number): Promise<void> {
  const addr = upstreamAddress(target)
  const raw = await openSocket(addr.host, addr.port, timeoutMs)
  try {
    const socket = await negotiateUpstreamTls(raw, { mode: target.upstreamTls, host: addr.host, ...(target.upstreamCa !== undefined ? { caFile: target.upstreamCa } : {}) })
    socket.resume()
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      socket.once('close', () => { clearTimeout(timer); resolve() })
      socket.once('error', () => { clearTimeout(timer); resolve() })
      socket.end(encodeCancelRequest(key))
    })
    socket.destroy()
  } finally {
    raw.destroy()
  }
}
