import assert from 'node:assert'

/**
 * A least-recently-used map bounded by entry count and by the total length of its keys (the SQL
 * text, which is what a cached analysis is proportional to).
 */
export class LruCache<V> {
  readonly #map = new Map<string, V>()
  readonly #maxEntries: number
  readonly #maxKeyChars: number
  #keyChars = 0

  constructor (opts: { maxEntries: number; maxKeyChars: number }) {
    assert(Number.isInteger(opts.maxEntries) && opts.maxEntries >= 0, 'maxEntries must be an integer >= 0')
    assert(Number.isInteger(opts.maxKeyChars) && opts.maxKeyChars >= 0, 'maxKeyChars must be an integer >= 0')
    this.#maxEntries = opts.maxEntries
    this.#maxKeyChars = opts.maxKeyChars
  }

  get size (): number { return this.#map.size }
  /** Sum of the lengths of the cached keys. */
  get keyChars (): number { return this.#keyChars }

  get (key: string): V | undefined {
    const value = this.#map.get(key)
    if (value === undefined) return undefined
    // Re-inserting moves the key to the young end of the Map's insertion order.
    this.#map.delete(key)
    this.#map.set(key, value)
    return value
  }

  set (key: string, value: V): void {
    if (this.#maxEntries === 0 || key.length > this.#maxKeyChars) return
    if (this.#map.delete(key)) this.#keyChars -= key.length
    this.#map.set(key, value)
    this.#keyChars += key.length
    while (this.#map.size > this.#maxEntries || this.#keyChars > this.#maxKeyChars) {
      const oldest = this.#map.keys().next().value as string
      this.#map.delete(oldest)
      this.#keyChars -= oldest.length
    }
  }
}
