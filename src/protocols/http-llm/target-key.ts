import { performance } from 'node:perf_hooks'
import type { HttpLlmTargetConfig } from '../../core/config/index.js'
import { readSecret } from '../../core/config/index.js'
import { ConfigError, UpstreamError } from '../../core/errors.js'

/** How long a target's key is used before it is read again: a rotated key file is live within this. */
export const KEY_REFRESH_MS = 1000

/**
 * A target's upstream key, read from its environment variable or file at most once per
 * KEY_REFRESH_MS: requests do not pay a file read (a blocking syscall on the event loop) each, and a
 * key file replaced in place still takes effect without a restart. A key that cannot be read is not
 * remembered, so every request reports it until it is fixed.
 */
export class TargetKey {
  readonly #config: HttpLlmTargetConfig
  readonly #now: () => number
  #value: string | undefined
  #readAt = -Infinity

  constructor (config: HttpLlmTargetConfig, now: () => number = () => performance.now()) {
    this.#config = config
    this.#now = now
  }

  /** The key; undefined when the target has none configured (a keyless upstream). */
  get (): string | undefined {
    const t = this.#config
    if (t.apiKeyEnv === undefined && t.apiKeyFile === undefined) return undefined
    const now = this.#now()
    if (this.#value !== undefined && now - this.#readAt < KEY_REFRESH_MS) return this.#value
    this.#value = undefined
    try {
      this.#value = readSecret({ env: t.apiKeyEnv, file: t.apiKeyFile }, `targets.${t.name}`)
    } catch (err) {
      if (err instanceof ConfigError) throw new UpstreamError(`target ${t.name} has no usable API key: ${err.message}`)
      throw err
    }
    this.#readAt = now
    return this.#value
  }
}
