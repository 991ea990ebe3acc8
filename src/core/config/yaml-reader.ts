import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type Scalar } from 'yaml'

/**
 * Reads a YAML document node by node and collects every problem as `path:line:col: message`,
 * so one run of a validator reports all mistakes at once, each where it is.
 */
export class YamlReader {
  readonly #file: string
  readonly #lines: LineCounter
  readonly problems: string[] = []
  readonly root: Node | null

  constructor (file: string, text: string) {
    this.#file = file
    this.#lines = new LineCounter()
    const doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true })
    for (const err of [...doc.errors, ...doc.warnings]) {
      const at = err.linePos?.[0]
      this.problems.push(`${file}:${at?.line ?? 1}:${at?.col ?? 1}: ${err.message.split('\n')[0]}`)
    }
    this.root = doc.errors.length > 0 ? null : (doc.contents as Node | null)
  }

  /** Reports a problem at a node (or at the top of the file when there is none). */
  problem (node: Node | null | undefined, message: string): void {
    const offset = node?.range?.[0] ?? 0
    const { line, col } = this.#lines.linePos(offset)
    this.problems.push(`${this.#file}:${line}:${col}: ${message}`)
  }

  /**
   * The entries of a mapping. Unknown keys are reported with the closest known one; `where` names
   * the mapping in messages (`listeners[0]`).
   */
  entries (node: Node | null | undefined, where: string, known: readonly string[]): Map<string, Node | null> {
    const out = new Map<string, Node | null>()
    if (node === null || node === undefined) return out
    if (!isMap(node)) {
      this.problem(node, `${where} must be a mapping`)
      return out
    }
    for (const pair of node.items as Array<Pair<Node, Node | null>>) {
      const key = isScalar(pair.key) ? String(pair.key.value) : ''
      if (!known.includes(key)) {
        const hint = closestName(key, known)
        this.problem(pair.key, `unknown key '${key}' in ${where}${hint !== undefined ? ` (did you mean '${hint}'?)` : ''}`)
        continue
      }
      out.set(key, pair.value)
    }
    return out
  }

  items (node: Node | null | undefined, where: string): Node[] {
    if (node === null || node === undefined) return []
    if (!isSeq(node)) {
      this.problem(node, `${where} must be a list`)
      return []
    }
    return node.items as Node[]
  }

  string (node: Node | null | undefined, where: string): string | undefined {
    if (node === null || node === undefined) return undefined
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
      this.problem(node, `${where} must be a non-empty string`)
      return undefined
    }
    return node.value
  }

  boolean (node: Node | null | undefined, where: string): boolean | undefined {
    if (node === null || node === undefined) return undefined
    if (!isScalar(node) || typeof node.value !== 'boolean') {
      this.problem(node, `${where} must be true or false`)
      return undefined
    }
    return node.value
  }

  oneOf<T extends string> (node: Node | null | undefined, where: string, allowed: readonly T[]): T | undefined {
    const value = this.string(node, where)
    if (value === undefined) return undefined
    if (!(allowed as readonly string[]).includes(value)) {
      const hint = closestName(value, allowed)
      this.problem(node, `${where} must be one of ${allowed.join(', ')}${hint !== undefined ? ` (did you mean '${hint}'?)` : ''}`)
      return undefined
    }
    return value as T
  }

  strings (node: Node | null | undefined, where: string): string[] | undefined {
    if (node === null || node === undefined) return undefined
    const out: string[] = []
    for (const [i, item] of this.items(node, where).entries()) {
      const s = this.string(item, `${where}[${i}]`)
      if (s !== undefined) out.push(s)
    }
    return out
  }

  /** `30s`, `10m`, `1h`, `250ms`, or a bare number of milliseconds. */
  duration (node: Node | null | undefined, where: string): number | undefined {
    if (node === null || node === undefined) return undefined
    const value = isScalar(node) ? (node as Scalar).value : undefined
    const ms = typeof value === 'number' ? value : typeof value === 'string' ? parseDuration(value) : undefined
    if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
      this.problem(node, `${where} must be a duration such as 500ms, 30s, 10m or 1h`)
      return undefined
    }
    return ms
  }

  /** `10mb`, `512kb`, `1gb`, or a bare number of bytes. */
  size (node: Node | null | undefined, where: string): number | undefined {
    if (node === null || node === undefined) return undefined
    const value = isScalar(node) ? (node as Scalar).value : undefined
    const bytes = typeof value === 'number' ? value : typeof value === 'string' ? parseSize(value) : undefined
    if (bytes === undefined || !Number.isInteger(bytes) || bytes <= 0) {
      this.problem(node, `${where} must be a size such as 512kb or 10mb`)
      return undefined
    }
    return bytes
  }
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

export function parseDuration (text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim())
  return m === null ? undefined : Number(m[1]) * DURATION_UNITS_MS[m[2]]
}

export function parseSize (text: string): number | undefined {
  const m = /^(\d+)\s*(b|kb|mb|gb)$/i.exec(text.trim())
  return m === null ? undefined : Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]
}

/** The known name closest to a misspelt one, when it is close enough to be a likely typo. */
export function closestName (word: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) { best = candidate; bestDistance = d }
  }
  return best
}

function editDistance (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]
}
