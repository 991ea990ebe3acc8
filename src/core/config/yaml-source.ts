import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type Pair } from 'yaml'
import { closestName } from './names.js'
import { parseDuration, parseSize } from './units.js'

/** One mistake in a YAML file (config, policy, policy test), where it is. */
export interface SourceProblem {
  file: string
  line: number
  col: number
  message: string
}

/** `path:line:col: message`, the shape editors and CI annotate. */
export function formatProblem (p: SourceProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`
}

/** Problems in reading order: by file, then line, then column. */
export function sortProblems (problems: SourceProblem[]): SourceProblem[] {
  return problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col))
}

/** Where something is in a source file; what a problem or a duplicate-id report points at. */
export interface SourceLocation { file: string; line: number; col: number }

/** `(did you mean 'x'?)` when a known name is close to the misspelt one. */
export function didYouMean (word: string, known: readonly string[]): string {
  const hint = closestName(word, known)
  return hint === undefined ? '' : ` (did you mean '${hint}'?)`
}

/**
 * One YAML file read document by document. Every accessor checks the node's type and records a
 * problem at the node's own line and column, so a validator run reports all mistakes at once.
 */
export class YamlSource {
  readonly file: string
  readonly problems: SourceProblem[]
  readonly #lines = new LineCounter()
  /** The documents that parsed; a document with a syntax error is reported and left out. */
  readonly #docs: Document.Parsed[] = []
  /** The document being read: aliases resolve within it. */
  #doc: Document.Parsed | undefined

  constructor (file: string, text: string, problems: SourceProblem[]) {
    this.file = file
    this.problems = problems
    const docs = parseAllDocuments(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true })
    if (!Array.isArray(docs)) return
    for (const doc of docs) {
      for (const err of [...doc.errors, ...doc.warnings]) this.#report(err.pos[0], err.message.split('\n')[0])
      if (doc.errors.length === 0) this.#docs.push(doc)
    }
  }

  /**
   * The top node of each document that parsed, in order; null for an empty one (a trailing `---`,
   * only comments). Read each document before moving to the next: aliases resolve in the current one.
   */
  * documents (): Generator<Node | null> {
    for (const doc of this.#docs) {
      this.#doc = doc
      const contents = this.#resolve(doc.contents as Node | null)
      yield isScalar(contents) && contents.value === null && contents.source === '' ? null : contents
    }
    this.#doc = undefined
  }

  /** The location of a node (or of the top of the file when there is none). */
  locate (node: Node | null | undefined): SourceLocation {
    const { line, col } = this.#lines.linePos(node?.range?.[0] ?? 0)
    return { file: this.file, line, col }
  }

  problem (node: Node | null | undefined, message: string): void {
    this.problems.push({ ...this.locate(node), message })
  }

  #report (offset: number, message: string): void {
    const { line, col } = this.#lines.linePos(offset)
    this.problems.push({ file: this.file, line, col, message })
  }

  #resolve (node: Node | null | undefined): Node | null {
    if (node === undefined || node === null) return null
    if (isAlias(node) && this.#doc !== undefined) return (node.resolve(this.#doc) as Node | undefined) ?? null
    return node
  }

  /**
   * The entries of a mapping with their key nodes. Unknown keys are reported with the closest known
   * one; `where` names the mapping in messages.
   */
  entries (node: Node | null, where: string, known: readonly string[]): Map<string, { key: Node; value: Node | null }> {
    const out = new Map<string, { key: Node; value: Node | null }>()
    if (node === null) return out
    if (!isMap(node)) {
      this.problem(node, `${where} must be a mapping, got ${describe(node)}`)
      return out
    }
    for (const pair of node.items as Array<Pair<Node, Node | null>>) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined
      if (key === undefined || !known.includes(key)) {
        this.problem(pair.key ?? node, `unknown key '${key ?? '?'}' in ${where}${key === undefined ? '' : didYouMean(key, known)}`)
        continue
      }
      out.set(key, { key: pair.key, value: this.#resolve(pair.value) })
    }
    return out
  }

  string (node: Node | null, where: string): string | undefined {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
      this.problem(node, `${where} must be a non-empty string, got ${describe(node)}`)
      return undefined
    }
    return node.value
  }

  /**
   * A list of strings; a single string is accepted as a list of one. Elements keep their nodes.
   * Empty lists are refused unless `allowEmpty`: in a rule, `groups: []` would silently match nothing.
   */
  strings (node: Node | null, where: string, allowEmpty = false): Array<{ value: string; node: Node }> | undefined {
    if (isScalar(node) && typeof node.value === 'string' && node.value !== '') return [{ value: node.value, node }]
    if (!isSeq(node)) {
      this.problem(node, `${where} must be a string or a list of strings, got ${describe(node)}`)
      return undefined
    }
    const out: Array<{ value: string; node: Node }> = []
    for (const [i, raw] of (node.items as Array<Node | null>).entries()) {
      const item = this.#resolve(raw)
      const value = this.string(item ?? node, `${where}[${i}]`)
      if (value !== undefined && item !== null) out.push({ value, node: item })
    }
    if (node.items.length === 0 && !allowEmpty) this.problem(node, `${where} must not be empty`)
    return out
  }

  boolean (node: Node | null, where: string): boolean | undefined {
    if (!isScalar(node) || typeof node.value !== 'boolean') {
      this.problem(node, `${where} must be true or false, got ${describe(node)}`)
      return undefined
    }
    return node.value
  }

  number (node: Node | null, where: string, check: { min: number; max?: number; integer?: boolean }): number | undefined {
    const value = isScalar(node) ? node.value : undefined
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= check.min &&
      (check.max === undefined || value <= check.max) && (check.integer !== true || Number.isInteger(value))
    if (!ok) {
      const range = check.max === undefined ? `at least ${check.min}` : `between ${check.min} and ${check.max}`
      this.problem(node, `${where} must be ${check.integer === true ? 'an integer' : 'a number'} ${range}, got ${describe(node)}`)
      return undefined
    }
    return value as number
  }

  /** The items of a list, aliases resolved. */
  items (node: Node | null, where: string): Node[] {
    if (!isSeq(node)) {
      this.problem(node, `${where} must be a list, got ${describe(node)}`)
      return []
    }
    return (node.items as Array<Node | null>).map((n) => this.#resolve(n)).filter((n): n is Node => n !== null)
  }

  /** `30s`, `10m`, `1h`, `250ms`, or a bare number of milliseconds. */
  duration (node: Node | null, where: string): number | undefined {
    const v = isScalar(node) ? node.value : undefined
    const ms = typeof v === 'number' ? v : typeof v === 'string' ? parseDuration(v) : undefined
    if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
      this.problem(node, `${where} must be a duration such as 500ms, 30s, 10m or 1h, got ${describe(node)}`)
      return undefined
    }
    return ms
  }

  /** `10mb`, `512kb`, `1gb`, or a bare number of bytes. */
  size (node: Node | null, where: string): number | undefined {
    const v = isScalar(node) ? node.value : undefined
    const bytes = typeof v === 'number' ? v : typeof v === 'string' ? parseSize(v) : undefined
    if (bytes === undefined || !Number.isInteger(bytes) || bytes <= 0) {
      this.problem(node, `${where} must be a size such as 512kb or 10mb, got ${describe(node)}`)
      return undefined
    }
    return bytes
  }

  oneOf<T extends string> (node: Node | null, where: string, allowed: readonly T[]): T | undefined {
    const value = this.string(node, where)
    if (value === undefined) return undefined
    if (!(allowed as readonly string[]).includes(value)) {
      this.problem(node, `${where} must be one of ${allowed.join(', ')}, got '${value}'${didYouMean(value, allowed)}`)
      return undefined
    }
    return value as T
  }
}

/** What a node is, in the words a message uses. */
export function describe (node: Node | null): string {
  if (node === null) return 'nothing'
  if (isMap(node)) return 'a mapping'
  if (isSeq(node)) return 'a list'
  if (isScalar(node)) {
    const v = node.value
    if (v === null) return 'null'
    if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`
    return `${typeof v} ${String(v)}`
  }
  return 'an unsupported value'
}
