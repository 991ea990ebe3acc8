import { loadConfig, parseDuration } from '../../core/config/index.js'
import { mintDevToken } from '../../core/identity/index.js'
import type { Command } from '../main.js'

const DEFAULT_SUB = 'dev'
/** Enough for the example policies to let a dev token read and use the LLM routes. */
const DEFAULT_GROUPS = ['analysts']
const DEFAULT_TTL = '1h'
const MAX_TTL_S = 30 * 24 * 3600

const USAGE = `usage: gatehouse token [--sub S] [--groups a,b] [--email E] [--ttl 1h] [--config FILE]

Mints a token from the dev issuer (dev mode, or identity.dev_issuer: true) and prints only the token,
so PGPASSWORD=$(gatehouse token --sub alice) works.

  --sub     subject (default ${DEFAULT_SUB})
  --groups  comma-separated groups (default ${DEFAULT_GROUPS.join(',')}; --groups '' for none)
  --email   email claim (default none)
  --ttl     lifetime: 30s, 15m, 1h, 7d (default ${DEFAULT_TTL}, at most 30d)`

export const command: Command = {
  summary: 'mint a dev-issuer token',
  usage: USAGE,
  options: { sub: { type: 'string' }, groups: { type: 'string' }, email: { type: 'string' }, ttl: { type: 'string' } },
  async run ({ values }) {
    const fail = (message: string): number => { process.stderr.write(`gatehouse token: ${message}\n`); return 1 }
    const ttlText = values.ttl as string | undefined ?? DEFAULT_TTL
    const ttlMs = parseDuration(ttlText)
    const ttlS = ttlMs === undefined ? undefined : Math.floor(ttlMs / 1000)
    if (ttlS === undefined || ttlS < 1 || ttlS > MAX_TTL_S) return fail(`--ttl ${JSON.stringify(ttlText)}: expected a duration from 1s to 30d, like 30s, 15m, 1h or 7d`)
    const sub = values.sub as string | undefined ?? DEFAULT_SUB
    if (sub === '') return fail('--sub must not be empty')
    const groupsText = values.groups as string | undefined
    const groups = groupsText === undefined ? DEFAULT_GROUPS : groupsText.split(',').map((g) => g.trim()).filter((g) => g !== '')
    const config = await loadConfig({ file: values.config as string | undefined })
    if (!config.devMode && !config.identity.devIssuer) {
      return fail(`the dev issuer is off in ${config.source ?? 'this config'}: set identity.dev_issuer: true (or run without a config file for dev mode)`)
    }
    const email = values.email as string | undefined
    const token = await mintDevToken({ dataDir: config.dataDir, sub, groups, ttlS, ...(email !== undefined ? { email } : {}) })
    process.stdout.write(`${token}\n`)
    return 0
  }
}
