import { randomInt } from 'node:crypto'
import type { PostgresTargetConfig } from '../../core/config/index.js'
import type { BackendKeyData } from './messages/backend-key-data.js'

const MAX_INT32 = 2 ** 31 - 1

/** Where a client-facing key leads: the target and the upstream backend's own key. */
export interface CancelRoute { target: PostgresTargetConfig; upstreamKey: BackendKeyData }

/**
 * Our own BackendKeyData per client session, mapped to the upstream's. Clients never see an upstream
 * key, so a cancel key from one gatehouse session cannot reach another session's backend by guessing
 * upstream pids; the 32-bit random secret must match too.
 */
export class CancelKeys {
  readonly #routes = new Map<number, { secretKey: number; route: CancelRoute }>()

  /** A fresh key for a session (process ids unique among live sessions). */
  issue (route: CancelRoute): BackendKeyData {
    let processId: number
    do processId = randomInt(1, MAX_INT32)
    while (this.#routes.has(processId))
    const secretKey = randomInt(-MAX_INT32, MAX_INT32)
    this.#routes.set(processId, { secretKey, route })
    return { processId, secretKey }
  }

  /** The route for a key quoted in a CancelRequest, if both halves match a live session. */
  find (key: BackendKeyData): CancelRoute | undefined {
    const entry = this.#routes.get(key.processId)
    return entry !== undefined && entry.secretKey === key.secretKey ? entry.route : undefined
  }

  release (key: BackendKeyData): void {
    const entry = this.#routes.get(key.processId)
    if (entry !== undefined && entry.secretKey === key.secretKey) this.#routes.delete(key.processId)
  }
}
