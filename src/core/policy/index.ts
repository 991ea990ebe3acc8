import type { Decision, GatewayEvent } from '../events/index.js'

/** One immutable compiled rule set. decide() is pure and synchronous. */
export interface PolicySet {
  readonly revision: string
  decide (event: GatewayEvent): Decision
}

/** Holds the current set; hot reload swaps it atomically. */
export interface PolicyStore {
  current (): PolicySet
  close (): Promise<void>
}
