import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'

/**
 * Reads a secret named by config (`*_env` or `*_file`), at the moment it is needed, so rotating the file
 * or the environment of a restarted process takes effect. The value never enters a message.
 */
export function readSecret (ref: { env?: string; file?: string }, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.env !== undefined) {
    const value = env[ref.env]
    if (value === undefined || value === '') throw new ConfigError([`${what}: environment variable ${ref.env} is not set`])
    return value
  }
  if (ref.file !== undefined) {
    let value: string
    try {
      value = readFileSync(ref.file, 'utf8').trim()
    } catch (err) {
      throw new ConfigError([`${what}: cannot read secret file ${ref.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`])
    }
    if (value === '') throw new ConfigError([`${what}: secret file ${ref.file} is empty`])
    return value
  }
  throw new ConfigError([`${what}: no secret configured (set an *_env or *_file key)`])
}
