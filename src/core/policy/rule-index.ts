import type { GatewayEvent } from '../events/index.js'
import type { MatchSpec } from './rule-schema.js'

const TARGET_BIT = 1
const GROUPS_BIT = 2

/**
 * A sound prefilter over a list of rules: from an event's target and groups alone it picks the rules
 * that can possibly match, so decide() runs full match tests on a few rules instead of all of them.
 * A rule that lists targets is a candidate only for those targets, one that lists groups only for
 * callers in one of them; exactly the conditions the rule's own test checks, so nothing is lost.
 */
export class RuleIndex {
  readonly #need: Uint8Array
  readonly #byTarget = new Map<string, number[]>()
  readonly #byGroup = new Map<string, number[]>()

  constructor (matches: readonly MatchSpec[]) {
    this.#need = new Uint8Array(matches.length)
    matches.forEach((m, i) => {
      if (m.target !== undefined) {
        this.#need[i] |= TARGET_BIT
        for (const t of new Set(m.target)) push(this.#byTarget, t, i)
      }
      if (m.identity?.groups !== undefined) {
        this.#need[i] |= GROUPS_BIT
        for (const g of new Set(m.identity.groups)) push(this.#byGroup, g, i)
      }
    })
  }

  /** Indexes of the candidate rules, in rule order. */
  candidates (event: GatewayEvent): number[] {
    const need = this.#need
    const have = new Uint8Array(need.length)
    const byTarget = this.#byTarget.get(event.session.target)
    if (byTarget !== undefined) for (const i of byTarget) have[i] |= TARGET_BIT
    for (const g of event.identity.groups) {
      const byGroup = this.#byGroup.get(g)
      if (byGroup !== undefined) for (const i of byGroup) have[i] |= GROUPS_BIT
    }
    const out: number[] = []
    for (let i = 0; i < need.length; i++) if ((have[i] & need[i]) === need[i]) out.push(i)
    return out
  }
}

function push (map: Map<string, number[]>, key: string, index: number): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [index])
  else list.push(index)
}
