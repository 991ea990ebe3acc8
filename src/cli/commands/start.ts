import type { Command } from '../main.js'
import { loadConfig } from '../../core/config/index.js'
import { createLogger } from '../../core/log/index.js'
import { runGatehouse, type RunningGatehouse } from '../runtime.js'

export const command: Command = {
  summary: 'run the gateway (dev mode when there is no gatehouse.yaml)',
  usage: `usage: gatehouse start [--config FILE]

Runs the gateway. Without ./gatehouse.yaml (and without --config) it runs dev mode: an embedded
PostgreSQL seeded with sample data, the dev token issuer, the example policies and a demo LLM.`,
  async run ({ values }) {
    const config = await loadConfig(typeof values.config === 'string' ? { file: values.config } : {})
    const log = createLogger()
    if (config.devMode) log.info({ dataDir: config.dataDir }, 'no gatehouse.yaml: starting dev mode')
    const running = await runGatehouse(config, log)
    process.stdout.write(connectionHelp(running))

    process.on('SIGHUP', () => {
      log.info('SIGHUP: reloading policies')
      void running.reloadPolicies().catch((err: unknown) => { log.error({ err }, 'policy reload failed') })
    })
    await new Promise<void>((resolve) => {
      let stopping = false
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping) {
          // A second Ctrl-C means now: the dev database still goes down with us (parent-death signal).
          log.warn(`${signal} again: exiting without draining`)
          process.exit(130)
        }
        stopping = true
        log.info(`${signal}: draining and shutting down (Ctrl-C again to force)`)
        running.stop().then(resolve, (err: unknown) => { log.error({ err }, 'shutdown failed'); resolve() })
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
    })
    log.info('stopped')
    log.flush()
    return 0
  }
}

/** What a newcomer needs to connect, printed once the listeners are bound. */
function connectionHelp (g: RunningGatehouse): string {
  const lines = ['', 'gatehouse is running', '']
  const pg = g.gateway.listeners.find((l) => l.protocols.includes('postgres'))
  const llm = g.gateway.listeners.find((l) => l.protocols.includes('http-llm'))
  const pgTarget = g.config.targets.find((t) => t.protocol === 'postgres')
  const caFile = g.gateway.listeners.find((l) => l.caFile !== undefined)?.caFile
  if (g.config.devMode) lines.push('  dev token:  export TOKEN=$(npx gatehouse token --sub alice --groups analysts)')
  if (pg !== undefined && pgTarget !== undefined) {
    const ssl = pg.tls ? `sslmode=verify-full&sslrootcert=${caFile ?? ''}` : 'sslmode=disable'
    lines.push(`  postgres:   PGPASSWORD=$TOKEN psql "postgres://alice@localhost:${pg.port}/${pgTarget.name}?${ssl}"`)
  }
  if (llm !== undefined) {
    const scheme = llm.tls ? 'https' : 'http'
    for (const t of g.config.targets.filter((x) => x.protocol === 'http-llm')) {
      const path = t.provider === 'openai' ? 'v1/chat/completions' : 'v1/messages'
      lines.push(`  ${t.name.padEnd(10)}  curl ${scheme}://localhost:${llm.port}/${t.name}/${path} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"model":"${t.provider === 'openai' ? 'gpt-4o-mini' : 'claude-3-5-haiku-latest'}",${t.provider === 'anthropic' ? '"max_tokens":256,' : ''}"messages":[{"role":"user","content":"hello"}]}'`)
    }
  }
  if (caFile !== undefined) lines.push(`  local CA:   ${caFile}  (sslrootcert=..., or NODE_EXTRA_CA_CERTS=...)`)
  lines.push(`  admin:      http://${g.admin.address.host}:${g.admin.address.port}/readyz`, '')
  return lines.join('\n') + '\n'
}
