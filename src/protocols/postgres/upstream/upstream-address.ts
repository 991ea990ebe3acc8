import { ConfigError } from '../../../core/errors.js'
import type { PostgresTargetConfig } from '../../../core/config/index.js'

export const DEFAULT_PG_PORT = 5432

/** Where a target's server is and who we log in as there. */
export interface UpstreamAddress { host: string; port: number; user: string; database: string }

/** Reads `postgres://user@host:port/db` from a target (the password never lives in the URL). */
export function upstreamAddress (target: PostgresTargetConfig): UpstreamAddress {
  let url: URL
  try {
    url = new URL(target.upstream)
  } catch {
    throw new ConfigError([`targets.${target.name}.upstream: not a URL`])
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new ConfigError([`targets.${target.name}.upstream: expected postgres://`])
  const user = decodeURIComponent(url.username)
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''))
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (user === '' || host === '') throw new ConfigError([`targets.${target.name}.upstream: needs user@host`])
  return { host, port: url.port === '' ? DEFAULT_PG_PORT : Number(url.port), user, database: database === '' ? user : database }
}
