import { ProtocolError } from '../../../core/errors.js'
import type { MaskStyle } from '../../../core/events/index.js'
import { decodeDataRow, encodeDataRow } from '../messages/data-row.js'
import { BINARY_FORMAT, type FieldDescription } from '../messages/row-description.js'
import type { ResolvedColumn } from './column-name.js'
import { MaskCounts } from './mask-counts.js'
import type { ResponseMasking } from './response-masking.js'
import { typeFamily, type TypeFamily } from './type-family.js'

type FieldPlan =
  | { kind: 'pass' }
  /** `isNulledOnFinding`: a value whose syntax a label would break becomes NULL when anything is found. */
  | { kind: 'scan'; isJson: boolean; isJsonbBinary: boolean; isNumber: boolean; isNulledOnFinding: boolean }
  /** `type`: the label type, detected in the column's first value and kept for the result set. */
  | { kind: 'column'; style: MaskStyle; family: TypeFamily; isBinary: boolean; type?: string; label?: Buffer | null }

/** jsonb's binary send format: a version byte, then the JSON text. @see https://www.postgresql.org/docs/current/datatype-json.html */
const JSONB_BINARY_VERSION = 1

export interface MaskedRow {
  values: Array<Buffer | null>
  /** Values masked in this row, by type; empty when the row is unchanged. */
  counts: Record<string, number>
}

const NOTHING_MASKED: Record<string, number> = Object.freeze({}) as Record<string, number>

export interface RowMaskerOptions {
  /** The result's RowDescription fields (formats as the server will send them). */
  fields: readonly FieldDescription[]
  /** Per field, what the column resolver said (undefined for expressions, or when no rule names columns). */
  columns?: ReadonlyArray<ResolvedColumn | undefined>
  masking: ResponseMasking
}

/**
 * Masks the rows of one result set (one RowDescription). Named columns get the style whole; every other
 * text-format value is scanned; binary values of other columns are never decoded; values with nothing
 * found are returned as the same Buffer.
 */
export class RowMasker {
  readonly #masking: ResponseMasking
  readonly #plans: FieldPlan[]
  /** Every field passes unchanged: rows can be relayed without decoding them. */
  readonly isPassThrough: boolean
  /** Masked values so far, over all rows. */
  readonly counts = new MaskCounts()
  /** This row's counts, reused: clean rows allocate nothing. */
  readonly #rowCounts = new MaskCounts()

  constructor (opts: RowMaskerOptions) {
    this.#masking = opts.masking
    const m = opts.masking
    this.#plans = opts.fields.map((f, i): FieldPlan => {
      const col = opts.columns?.[i]
      const family = typeFamily(f.typeOid, col?.typeCategory)
      // Without a table identity (expressions, function results), a masked column's name is the clue.
      const style = col !== undefined ? m.columnStyle(col) : m.styleForName(f.name)
      if (style !== undefined) return { kind: 'column', style, family, isBinary: f.format === BINARY_FORMAT }
      if (!m.detectsContent && !m.hasColumnRules) return { kind: 'pass' }
      const isJson = family === 'json' || family === 'jsonb'
      if (f.format === BINARY_FORMAT) {
        // The binary forms of text, json and jsonb are their text (jsonb after a version byte): scanning
        // them decodes nothing. Any other binary value is relayed as it is.
        return family === 'text' || isJson ? { kind: 'scan', isJson, isJsonbBinary: family === 'jsonb', isNumber: false, isNulledOnFinding: false } : { kind: 'pass' }
      }
      // Custom recognizers can match anything, even a date's text.
      if (family === 'opaque' && m.isBuiltinOnly) return { kind: 'pass' }
      const isNumber = family === 'number' && m.isBuiltinOnly
      return { kind: 'scan', isJson, isJsonbBinary: false, isNumber, isNulledOnFinding: family === 'number' || family === 'strict' }
    })
    this.isPassThrough = this.#plans.every((p) => p.kind === 'pass')
  }

  /** One row's values masked. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-DATAROW */
  maskRow (values: ReadonlyArray<Buffer | null>): MaskedRow {
    const out = this.#maskValues(values, this.#rowCounts)
    if (out === undefined) return { values: values as Array<Buffer | null>, counts: NOTHING_MASKED }
    const counts = this.#rowCounts.toRecord()
    this.#rowCounts.clear()
    for (const [type, n] of Object.entries(counts)) this.counts.add(type, n)
    return { values: out, counts }
  }

  /**
   * A DataRow frame's body masked: a new DataRow frame (lengths recomputed), or undefined when the row is
   * unchanged and the original frame can be relayed as it came. Counts go to `counts` only.
   */
  maskDataRow (body: Buffer): Buffer | undefined {
    if (this.isPassThrough) return undefined
    const out = this.#maskValues(decodeDataRow(body).values, this.counts)
    return out === undefined ? undefined : encodeDataRow({ values: out })
  }

  /** The masked values, or undefined when none changed. */
  #maskValues (values: ReadonlyArray<Buffer | null>, counts: MaskCounts): Array<Buffer | null> | undefined {
    if (this.isPassThrough) return undefined
    // A value without a field could not be judged: refuse rather than relay it unmasked.
    if (values.length !== this.#plans.length) throw new ProtocolError(`DataRow has ${values.length} values for ${this.#plans.length} fields`)
    let out: Array<Buffer | null> | undefined
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      const plan = this.#plans[i]
      if (v === null || plan.kind === 'pass') continue
      const masked = plan.kind === 'scan' ? this.#scan(v, plan, counts) : this.#maskColumn(v, plan, counts)
      if (masked !== v) {
        out ??= values.slice()
        out[i] = masked
      }
    }
    return out
  }

  #scan (v: Buffer, plan: Extract<FieldPlan, { kind: 'scan' }>, counts: MaskCounts): Buffer | null {
    if (plan.isNumber && integerDigits(v) < MIN_CARD_DIGITS) return v
    if (!plan.isJsonbBinary) {
      const masked = this.#masking.maskBytes(v, counts, plan.isJson)
      return masked !== v && plan.isNulledOnFinding ? null : masked
    }
    const text = v.subarray(1)
    const masked = this.#masking.maskBytes(text, counts, true)
    return masked === text ? v : Buffer.concat([v.subarray(0, 1), masked])
  }

  #maskColumn (v: Buffer, plan: Extract<FieldPlan, { kind: 'column' }>, counts: MaskCounts): Buffer | null {
    // A value of another type is never decoded: it becomes NULL, which every type accepts.
    if (plan.family !== 'text' && plan.family !== 'json' && plan.family !== 'jsonb') {
      counts.add('REDACTED')
      return null
    }
    if (plan.label !== undefined && plan.type !== undefined) {
      counts.add(plan.type)
      return plan.label
    }
    const text = plan.isBinary && plan.family === 'jsonb' ? v.toString('utf8', 1) : v.toString('utf8')
    const original = plan.family === 'text' ? text : jsonStringValue(text)
    // One type per column: detection is the costly part, and a stable type keeps hash tokens joinable.
    plan.type ??= this.#masking.typeOfValue(original, plan.style)
    const replacement = this.#masking.replaceWhole(original, plan.style, counts, plan.type)
    const encoded = this.#encodeReplacement(replacement, plan)
    // A label (or NULL) does not depend on the value: built once per column. Shared buffers are only read.
    if (plan.style === 'label' || plan.style === 'null') plan.label = encoded
    return encoded
  }

  #encodeReplacement (replacement: string | null, plan: Extract<FieldPlan, { kind: 'column' }>): Buffer | null {
    if (replacement === null) return null
    if (plan.family === 'text') return Buffer.from(replacement, 'utf8')
    const json = Buffer.from(JSON.stringify(replacement), 'utf8')
    return plan.isBinary && plan.family === 'jsonb' ? Buffer.concat([Buffer.from([JSONB_BINARY_VERSION]), json]) : json
  }
}

/** The shortest card number a built-in recognizer reports: shorter integers cannot be one. */
const MIN_CARD_DIGITS = 12
const DOT = 0x2e

/** Digits before the decimal point of a number's text form. */
function integerDigits (v: Buffer): number {
  let n = 0
  for (const c of v) {
    if (c === DOT) break
    if (c >= 0x30 && c <= 0x39) n++
  }
  return n
}

/** A JSON value's text for masking: a JSON string's content, or the document itself. */
function jsonStringValue (text: string): string {
  if (!text.startsWith('"')) return text
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'string' ? v : text
  } catch {
    return text
  }
}
