import { randomBytes } from 'node:crypto'
import type { MaskSpec, MaskStyle } from '../../../core/events/index.js'
import { contentMaskers, createMasker, perSpecList, REDACTED, type Masker } from '../../../core/pii/index.js'
import type { ColumnName, ResolvedColumn } from './column-name.js'
import { applyJsonSafe, maskJsonMembers, type InTextReplacer } from './json-safe-apply.js'
import type { MaskCounts } from './mask-counts.js'
import { mayHoldPii } from './value-prefilter.js'

export interface ResponseMaskingOptions {
  /** Key of the hash style (>= 16 bytes); a random per-process key when absent. */
  hashKey?: Buffer
}

/** When several rules name one column, the style that reveals least wins. */
const STYLE_STRENGTH: Record<MaskStyle, number> = { null: 3, label: 2, hash: 1, partial: 0 }

interface ColumnRule { schema: string | undefined; style: MaskStyle }

const OPEN_BRACE = 0x7b // '{'
const OPEN_BRACKET = 0x5b // '['

/** The byte form of looksStructured, for values not yet decoded; a CSV field's opening quote is skipped. */
function startsStructured (buf: Buffer): boolean {
  for (const c of buf) {
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x22) continue
    return c === OPEN_BRACE || c === OPEN_BRACKET
  }
  return false
}

/** Whether a text looks like a JSON document or an array literal, whose syntax a replacement must keep. */
function looksStructured (s: string): boolean {
  const t = s.trimStart()
  const c = t.charCodeAt(0)
  return c === OPEN_BRACE || c === OPEN_BRACKET
}

/**
 * The mask rules that apply to what a database sends back (apply_to includes response), compiled once per
 * policy revision: maskers for content detection (one per style, entities and recognizers of that style's
 * rules united) and the named columns with their style.
 */
export class ResponseMasking {
  readonly specs: readonly MaskSpec[]
  /** Some rule names columns: result columns must be resolved against the catalog. */
  readonly hasColumnRules: boolean
  /** Some rule names entities: text values are scanned. */
  readonly detectsContent: boolean
  /** No rule declares its own recognizer, so values can be prefiltered (value-prefilter.ts). */
  readonly isBuiltinOnly: boolean
  readonly #contentMaskers: Array<{ masker: Masker; replace: InTextReplacer }>
  readonly #columnMaskers = new Map<MaskStyle, Masker>()
  readonly #columns = new Map<string, ColumnRule[]>()
  readonly #tables = new Map<string, Array<string | undefined>>()
  /** Masked column names alone, for values that carry no table identity (expressions, JSON members). */
  readonly #names = new Map<string, MaskStyle>()
  /** `"name"` as UTF-8, to find JSON members named after masked columns without decoding. */
  readonly #nameNeedles: Buffer[] = []
  readonly #nameSet: ReadonlySet<string>
  /** Members are matched by name alone, so the strongest style of any rule naming a column applies. */
  readonly #memberStyle: MaskStyle

  constructor (specs: readonly MaskSpec[], opts: ResponseMaskingOptions = {}) {
    this.specs = specs
    const hashKey = opts.hashKey ?? randomBytes(32)
    const custom = specs.flatMap((s) => s.recognizers ?? [])
    this.isBuiltinOnly = custom.length === 0
    this.#contentMaskers = contentMaskers(specs, hashKey).map((masker) => ({
      masker,
      // There is no NULL inside a text: the null style writes labels there.
      replace: (type: string, v: string) => masker.maskValue(v, type) ?? `[${type}]`
    }))
    this.detectsContent = this.#contentMaskers.length > 0
    for (const s of specs) {
      for (const name of s.columns) {
        const parts = name.toLowerCase().split('.')
        if (parts.length < 2 || parts.length > 3) continue
        const [column, table, schema] = parts.reverse()
        const key = `${table}.${column}`
        this.#columns.set(key, [...(this.#columns.get(key) ?? []), { schema, style: s.style }])
        this.#tables.set(table, [...(this.#tables.get(table) ?? []), schema])
        const named = this.#names.get(column)
        if (named === undefined) this.#nameNeedles.push(Buffer.from(JSON.stringify(column), 'utf8'))
        if (named === undefined || STYLE_STRENGTH[s.style] > STYLE_STRENGTH[named]) this.#names.set(column, s.style)
        if (!this.#columnMaskers.has(s.style)) this.#columnMaskers.set(s.style, createMasker({ style: s.style, custom, hashKey }))
      }
    }
    this.hasColumnRules = this.#columns.size > 0
    this.#nameSet = new Set(this.#names.keys())
    this.#memberStyle = [...this.#names.values()].reduce<MaskStyle>((a, b) => (STYLE_STRENGTH[b] > STYLE_STRENGTH[a] ? b : a), 'partial')
  }

  #ruleStyle (c: ColumnName): MaskStyle | undefined {
    let best: MaskStyle | undefined
    for (const r of this.#columns.get(`${c.table.toLowerCase()}.${c.column.toLowerCase()}`) ?? []) {
      if (r.schema !== undefined && r.schema !== c.schema.toLowerCase()) continue
      if (best === undefined || STYLE_STRENGTH[r.style] > STYLE_STRENGTH[best]) best = r.style
    }
    return best
  }

  /** The style a result column is masked with as a whole (it is, or comes from, a named column), if any. */
  columnStyle (c: ResolvedColumn | undefined): MaskStyle | undefined {
    if (c === undefined || !this.hasColumnRules) return undefined
    let best = this.#ruleStyle(c)
    for (const s of c.sources) {
      const style = this.#ruleStyle(s)
      if (style !== undefined && (best === undefined || STYLE_STRENGTH[style] > STYLE_STRENGTH[best])) best = style
    }
    return best
  }

  /**
   * The style for a result column with no table identity (an expression, a function's result) whose
   * output name is the name of a masked column: `select * from f()` where f returns customers rows.
   */
  styleForName (name: string): MaskStyle | undefined {
    return this.#names.get(name.toLowerCase())
  }

  /** Whether a rule names a column of this table (table name matched case-insensitively). */
  namesColumnsOf (schema: string | undefined, table: string): boolean {
    const schemas = this.#tables.get(table.toLowerCase())
    if (schemas === undefined) return false
    return schema === undefined || schemas.some((s) => s === undefined || s === schema.toLowerCase())
  }

  /** The type a whole value is labelled and counted as: its longest finding's, else REDACTED. */
  typeOfValue (value: string, style: MaskStyle): string {
    const masker = this.#columnMaskers.get(style) as Masker
    let longest: { type: string; len: number } | undefined
    for (const f of masker.detector.detect(value)) {
      if (longest === undefined || f.end - f.start > longest.len) longest = { type: f.type, len: f.end - f.start }
    }
    return longest?.type ?? REDACTED
  }

  /**
   * A whole value replaced by `style` (null for SQL NULL), counted as `type`; the type is detected in the
   * value when not given.
   */
  replaceWhole (value: string, style: MaskStyle, counts: MaskCounts, type = this.typeOfValue(value, style)): string | null {
    counts.add(type)
    return (this.#columnMaskers.get(style) as Masker).maskValue(value, type)
  }

  /**
   * Content detection over a text; in JSON, members named after masked columns are masked whole. JSON
   * documents and array literals stay syntactically valid.
   */
  maskText (text: string, counts: MaskCounts, isJson = false): string {
    const isStructured = isJson || looksStructured(text)
    let out = text
    if (isStructured && this.#names.size > 0) {
      out = maskJsonMembers(out, this.#nameSet, (v) => this.replaceWhole(v, this.#memberStyle, counts)) ?? out
    }
    for (const { masker, replace } of this.#contentMaskers) {
      const findings = masker.detector.detect(out)
      if (findings.length === 0) continue
      for (const f of findings) counts.add(f.type)
      out = isStructured ? applyJsonSafe(out, findings, replace) : masker.apply(out, findings, 0, out.length)
    }
    return out
  }

  /**
   * False when maskText surely leaves `buf[start, end)` unchanged: no detector could report anything in it
   * and it names no masked column as a JSON member. Tests bytes, decodes nothing.
   */
  mayMask (buf: Buffer, start = 0, end = buf.length): boolean {
    if (this.detectsContent && (!this.isBuiltinOnly || mayHoldPii(buf, start, end))) return true
    if (this.#nameNeedles.length === 0) return false
    const range = start === 0 && end === buf.length ? buf : buf.subarray(start, end)
    return startsStructured(range) && this.#nameNeedles.some((n) => range.includes(n))
  }

  /** Content detection over UTF-8 bytes; the same Buffer back when nothing was found (no copy). */
  maskBytes (buf: Buffer, counts: MaskCounts, isJson = false): Buffer {
    if (!this.mayMask(buf) && !(isJson && this.#nameNeedles.some((n) => buf.includes(n)))) return buf
    const text = buf.toString('utf8')
    const masked = this.maskText(text, counts, isJson)
    return masked === text ? buf : Buffer.from(masked, 'utf8')
  }
}

/**
 * Compiles the specs that apply to responses; undefined when none does (relay untouched). Cached per list
 * of spec objects: decide() hands back the same MaskSpec objects until the policy set is reloaded.
 */
export function responseMaskingCache (opts: ResponseMaskingOptions = {}): (specs: readonly MaskSpec[]) => ResponseMasking | undefined {
  const hashKey = opts.hashKey ?? randomBytes(32)
  const compile = perSpecList((applying) => new ResponseMasking(applying, { hashKey }))
  return (specs) => {
    // Most decisions carry no masks: nothing to filter.
    if (specs.length === 0) return undefined
    const applying = specs.filter((s) => s.applyTo.includes('response'))
    return applying.length === 0 ? undefined : compile(applying)
  }
}
