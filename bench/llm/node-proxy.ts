/**
 * The floor for any Node LLM gateway: an HTTP proxy with no logic (node:http in, an undici pool out,
 * bodies piped), in its own process like the gateways it is compared with. What it adds over calling
 * the upstream directly is the price of the hop itself on this machine; what gatehouse adds over it
 * is gatehouse's own work. Prints `{"port":N}` when ready; exits when stdin closes.
 */
import { createServer } from 'node:http'
import { Pool } from 'undici'

const upstream = process.env.UPSTREAM_URL
if (upstream === undefined) throw new Error('UPSTREAM_URL is not set')
const pool = new Pool(upstream, { connections: 128 })
const server = createServer(async (req, res) => {
  try {
    const body: Buffer[] = []
    for await (const chunk of req) body.push(chunk as Buffer)
    const up = await pool.request({
      method: 'POST',
      path: (req.url ?? '/').replace(/^\/openai/, ''),
      headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
      body: Buffer.concat(body)
    })
    res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json') })
    for await (const chunk of up.body) res.write(chunk)
    res.end()
  } catch {
    res.destroy()
  }
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 }) + '\n')
})
process.stdin.resume()
process.stdin.on('end', () => { server.close(); void pool.close(); process.exit(0) })
