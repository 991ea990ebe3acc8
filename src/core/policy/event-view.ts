import type { RE2JS } from 're2js'
import type { CustomRecognizerSpec, GatewayEvent, SqlStatement } from '../events/index.js'

/**
 * Finds the PII types present in prompt text. The pii room provides the real one; custom
 * recognizers declared by the policy set are passed so it can run them too.
 */
export type EntityDetector = (text: string[], recognizers: readonly CustomRecognizerSpec[]) => ReadonlySet<string>

/** A table as rules compare it: lower-cased, and qualified with `public` when the SQL did not say. */
export interface TableKey { name: string; qualified: string }

/**
 * One event as rules look at it during one decide() call: derived facts (table keys, entities in
 * the prompt) are computed at most once, and only when some rule asks for them.
 */
export class EventView {
  readonly event: GatewayEvent
  readonly #detect: EntityDetector | undefined
  readonly #recognizers: readonly CustomRecognizerSpec[]
  readonly #promptFilter: RE2JS | undefined
  #tables: TableKey[][] | undefined
  #entities: ReadonlySet<string> | undefined
  #promptMayMatch: boolean | undefined

  constructor (event: GatewayEvent, detect: EntityDetector | undefined, recognizers: readonly CustomRecognizerSpec[], promptFilter: RE2JS | undefined) {
    this.event = event
    this.#detect = detect
    this.#recognizers = recognizers
    this.#promptFilter = promptFilter
  }

  /** False when no prompt pattern of any rule matches any prompt text: one scan per text per decision. */
  promptMayMatch (): boolean {
    if (this.#promptMayMatch === undefined) {
      const filter = this.#promptFilter
      this.#promptMayMatch = filter === undefined || (this.event.llm?.text ?? []).some((text) => filter.test(text))
    }
    return this.#promptMayMatch
  }

  tablesOf (index: number, statement: SqlStatement): TableKey[] {
    this.#tables ??= []
    let keys = this.#tables[index]
    if (keys === undefined) {
      keys = statement.tables.map((t) => {
        const name = t.name.toLowerCase()
        return { name, qualified: `${(t.schema ?? 'public').toLowerCase()}.${name}` }
      })
      this.#tables[index] = keys
    }
    return keys
  }

  /** PII types in the prompt text, or undefined when no detector was given (the facts are unknown). */
  entities (): ReadonlySet<string> | undefined {
    if (this.#detect === undefined || this.event.llm === undefined) return undefined
    this.#entities ??= this.#detect(this.event.llm.text, this.#recognizers)
    return this.#entities
  }
}
