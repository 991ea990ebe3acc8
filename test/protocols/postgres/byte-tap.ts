import { createServer, connect, type Socket } from 'node:net'

interface Teardown { teardown (fn: () => unknown): void }

export interface ByteTap {
  port: number
  /** Every byte sent back to clients so far. */
  received (): Buffer
}

/** A TCP pass-through in front of `port` that records what comes back, so a test can prove what a client saw. */
export async function startByteTap (t: Teardown, host: string, port: number): Promise<ByteTap> {
  const chunks: Buffer[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const up = connect({ host, port })
    sockets.add(client).add(up)
    client.pipe(up)
    up.on('data', (c: Buffer) => { chunks.push(c) })
    up.pipe(client)
    const end = (): void => { client.destroy(); up.destroy() }
    client.on('close', end).on('error', end)
    up.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const address = server.address()
  return { port: typeof address === 'object' && address !== null ? address.port : 0, received: () => Buffer.concat(chunks) }
}
