/** Masked values by PII type (or REDACTED for a named column whose value matched no type), for the audit event. */
export class MaskCounts {
  readonly #counts = new Map<string, number>()

  add (type: string, n = 1): void {
    this.#counts.set(type, (this.#counts.get(type) ?? 0) + n)
  }

  clear (): void {
    this.#counts.clear()
  }

  get total (): number {
    let n = 0
    for (const v of this.#counts.values()) n += v
    return n
  }

  /** A plain object (type -> count), the shape audit entries carry. */
  toRecord (): Record<string, number> {
    return Object.fromEntries(this.#counts)
  }
}
