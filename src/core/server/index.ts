import type { GatehouseConfig } from '../config/index.js'
import type { Logger } from '../log/index.js'
import type { GatewayServices, PluginFactory, ProtocolPlugin, ReadinessCheck } from '../plugin/index.js'
import { loadTlsMaterial } from '../tls/index.js'
import { Listener } from './listener.js'

export { sniff, isTlsClientHello, type SniffResult } from './sniff.js'
export { isLoopbackAddress } from './listener.js'

export interface BoundListener { name: string; host: string; port: number; protocols: string[]; tls: boolean; caFile?: string }

export interface Gateway {
  readonly listeners: BoundListener[]
  readiness (): Promise<{ ready: boolean; checks: ReadinessCheck[] }>
  /** Stop accepting, let plugins drain within the grace period, close upstreams. */
  close (): Promise<void>
}

/**
 * Creates the plugins the listeners need (factories are passed in: core never imports a protocol),
 * loads TLS material, and binds every listener. A listener that cannot bind fails start-up.
 */
export async function startGateway (opts: { config: GatehouseConfig; services: GatewayServices; plugins: PluginFactory[]; log: Logger }): Promise<Gateway> {
  const { config, log } = opts
  const wanted = new Set(config.listeners.flatMap((l) => l.protocols))
  const plugins: ProtocolPlugin[] = []
  for (const factory of opts.plugins) {
    const plugin = await factory(opts.services)
    if (wanted.has(plugin.name)) plugins.push(plugin)
  }
  const listeners: Listener[] = []
  const bound: BoundListener[] = []
  const hosts = config.listeners.map((l) => l.host)
  try {
    for (const lc of config.listeners) {
      const mine = plugins.filter((p) => lc.protocols.includes(p.name))
      const missing = lc.protocols.filter((name) => !mine.some((p) => p.name === name))
      if (missing.length > 0) throw new Error(`listener ${lc.name}: no plugin for ${missing.join(', ')}`)
      const tls = await loadTlsMaterial(lc.tls, config.dataDir, hosts)
      const listener = new Listener({ config: lc, plugins: mine, tls, handshakeTimeoutMs: config.limits.handshakeTimeoutMs, log })
      listeners.push(listener)
      const addr = await listener.listen().catch((err: NodeJS.ErrnoException) => {
        throw new Error(`listener ${lc.name} cannot bind ${lc.host}:${lc.port}: ${err.code ?? err.message}`)
      })
      bound.push({ name: lc.name, ...addr, protocols: lc.protocols, tls: tls !== undefined, ...(tls?.caFile !== undefined ? { caFile: tls.caFile } : {}) })
    }
  } catch (err) {
    await Promise.all(listeners.map(async (l) => { await l.close() }))
    await Promise.all(plugins.map(async (p) => { await p.close(0) }))
    throw err
  }
  let closing: Promise<void> | undefined
  return {
    listeners: bound,
    async readiness () {
      const checks: ReadinessCheck[] = listeners.map((l) => ({ name: `listener:${l.name}`, ok: l.address !== undefined }))
      try {
        checks.push({ name: 'policies', ok: true, detail: `revision ${opts.services.policy.current().revision}` })
      } catch (err) {
        checks.push({ name: 'policies', ok: false, detail: (err as Error).message })
      }
      for (const p of plugins) checks.push(...(await p.readiness?.() ?? []))
      return { ready: closing === undefined && checks.every((c) => c.ok), checks }
    },
    async close () {
      closing ??= (async () => {
        // server.close() stops accepting at once but reports only when every handed-over socket closed:
        // the plugins must drain at the same time, or an open session would block shutdown forever.
        const stopped = Promise.all(listeners.map(async (l) => { await l.close() }))
        await Promise.all(plugins.map(async (p) => { await p.close(config.limits.shutdownGraceMs) }))
        await stopped
      })()
      await closing
    }
  }
}
