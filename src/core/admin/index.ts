import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from '../log/index.js'

/** A route answers with a status and a JSON body. */
export type AdminHandler = (req: IncomingMessage) => Promise<{ status: number; body: unknown }>

export interface AdminServer {
  readonly address: { host: string; port: number }
  close (): Promise<void>
}

/**
 * The admin HTTP API: JSON in, JSON out, on its own listener (never on a data-path port).
 * Routes are keyed `METHOD /path`; anything else is a JSON 404.
 */
export async function startAdminServer (opts: { host: string; port: number; routes: Record<string, AdminHandler>; log: Logger }): Promise<AdminServer> {
  const server: Server = createServer((req, res) => { void serve(req, res) })
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://admin').pathname
    const handler = opts.routes[`${req.method ?? 'GET'} ${path}`]
    let status = 404
    let body: unknown = { error: { type: 'not_found', message: `no admin route ${req.method ?? ''} ${path}` } }
    if (handler !== undefined) {
      try {
        ({ status, body } = await handler(req))
      } catch (err) {
        opts.log.error({ err, path }, 'admin route failed')
        status = 500
        body = { error: { type: 'internal_error', message: 'internal error; see the gateway log' } }
      }
    }
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
    res.end(text)
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve() })
  })
  const addr = server.address() as { address: string; port: number }
  return {
    address: { host: addr.address, port: addr.port },
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}
