import { UnmaskableResponseError } from '../../../core/errors.js'
import type { MaskStyle } from '../../../core/events/index.js'
import type { CopyOutResponse } from '../messages/copy-out-response.js'
import type { ResolvedColumn } from './column-name.js'
import type { ColumnResolver } from './column-resolver.js'
import { DEFAULT_COPY_TEXT, type CopyOutStatement } from './copy-statement.js'
import { fieldCodec, type FieldCodec } from './copy-field.js'
import { MaskCounts } from './mask-counts.js'
import type { ResponseMasking } from './response-masking.js'
import { typeFamily } from './type-family.js'

/** The longest COPY row held while waiting for its end; a longer one cannot be masked and ends the COPY. */
export const MAX_COPY_ROW_BYTES = 64 * 1024 * 1024

const NEWLINE = 0x0a
const BACKSLASH = 0x5c

export interface CopyOutMaskerOptions {
  response: CopyOutResponse
  /** The COPY statement (copyOutStatements()); text-format defaults when unknown. */
  statement?: CopyOutStatement
  /** COPY of a table: its columns in output order (ColumnResolver.resolveTable). */
  columns?: ReadonlyArray<ResolvedColumn | undefined>
  masking: ResponseMasking
  maxRowBytes?: number
}

/**
 * Why a COPY ... TO STDOUT cannot be relayed under these masks, or undefined when it can. Call it with
 * the statement before forwarding it, so the server never runs a refused COPY (answer as for a denial).
 * - Binary COPY carries no column types: neither named columns nor content can be masked in it.
 * - COPY (query) output carries no column identity: a named column it selects under another name, or
 *   computed, would pass unseen unless its values look like PII. Refused when the query names a table
 *   that mask rules name columns of. (A view over such a table is not caught here; see the docs.)
 */
export function copyOutRefusal (statement: CopyOutStatement, masking: ResponseMasking | undefined): string | undefined {
  if (masking === undefined) return undefined
  if (statement.format === 'binary') return 'binary COPY TO STDOUT cannot be masked; use the text or CSV format'
  const named = statement.tablesRead.find((t) => masking.namesColumnsOf(t.schema, t.name))
  if (statement.relation === undefined && named !== undefined) {
    return `COPY (query) TO STDOUT over "${named.name}", whose columns are masked, cannot be masked; COPY the table itself or use SELECT`
  }
  return undefined
}

/**
 * copyOutRefusal, and also COPY (query) over a view (or materialized view) that carries masked columns,
 * found through the catalog. One catalog round trip per table the query names, cached.
 */
export async function copyOutRefusalResolved (statement: CopyOutStatement, masking: ResponseMasking | undefined, resolver: ColumnResolver): Promise<string | undefined> {
  const refusal = copyOutRefusal(statement, masking)
  if (refusal !== undefined || masking === undefined || statement.relation !== undefined || !masking.hasColumnRules) return refusal
  for (const t of statement.tablesRead) {
    const columns = await resolver.resolveTable(t.schema, t.name)
    if (columns?.some((c) => masking.columnStyle(c) !== undefined) === true) {
      return `COPY (query) TO STDOUT over "${t.name}", which carries masked columns, cannot be masked; use SELECT`
    }
  }
  return undefined
}

/**
 * Masks the data of one COPY ... TO STDOUT, text or CSV, row by row. CopyData chunks may split rows
 * anywhere: a partial row is held (at most maxRowBytes) until its end arrives.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-COPY
 */
export class CopyOutMasker {
  readonly counts = new MaskCounts()
  readonly #s: CopyOutStatement
  readonly #codec: FieldCodec
  readonly #masking: ResponseMasking
  readonly #styles: Array<{ style: MaskStyle; isText: boolean } | undefined>
  readonly #maxRowBytes: number
  readonly #isCsv: boolean
  readonly #nullBytes: Buffer
  #held: Buffer[] = []
  #heldBytes = 0
  #isInQuotes = false
  /** CSV with an escape other than the quote: the next byte is escaped (possibly in the next chunk). */
  #isEscaped = false
  #isHeaderPending: boolean

  constructor (opts: CopyOutMaskerOptions) {
    // The statement was checked before it ran (copyOutRefusal); this is what the server actually sends.
    if (opts.response.format === 'binary') throw new UnmaskableResponseError('binary COPY TO STDOUT cannot be masked; use the text or CSV format')
    this.#s = opts.statement ?? DEFAULT_COPY_TEXT
    this.#codec = fieldCodec(this.#s)
    this.#masking = opts.masking
    this.#isCsv = this.#s.format === 'csv'
    this.#nullBytes = Buffer.from(this.#s.nullString, 'utf8')
    this.#isHeaderPending = this.#s.hasHeader
    this.#maxRowBytes = opts.maxRowBytes ?? MAX_COPY_ROW_BYTES
    this.#styles = (opts.columns ?? []).map((c) => {
      const style = opts.masking.columnStyle(c)
      return style === undefined ? undefined : { style, isText: c !== undefined && typeFamily(0, c.typeCategory) === 'text' }
    })
  }

  /** The masked bytes of every row completed by `data` (empty when none is); `data` itself when unchanged. */
  push (data: Buffer): Buffer {
    const out: Buffer[] = []
    let isChanged = this.#held.length > 0
    let rowStart = 0
    for (let i = this.#rowEnd(data, 0); i !== -1; i = this.#rowEnd(data, rowStart)) {
      const piece = data.subarray(rowStart, i + 1)
      const row = this.#held.length > 0 ? Buffer.concat([...this.#held, piece]) : piece
      this.#held = []
      this.#heldBytes = 0
      const masked = this.#maskRow(row)
      if (masked !== row) isChanged = true
      out.push(masked)
      rowStart = i + 1
    }
    if (rowStart < data.length) {
      isChanged = true
      this.#held.push(data.subarray(rowStart))
      this.#heldBytes += data.length - rowStart
      if (this.#heldBytes > this.#maxRowBytes) throw new UnmaskableResponseError(`a COPY row longer than ${this.#maxRowBytes} bytes cannot be masked`)
    }
    return isChanged ? Buffer.concat(out) : data
  }

  /** What is left at CopyDone: a last row without its newline, masked. */
  end (): Buffer {
    if (this.#held.length === 0) return Buffer.alloc(0)
    const row = Buffer.concat(this.#held)
    this.#held = []
    this.#heldBytes = 0
    return this.#maskRow(row)
  }

  /** Index of the next row-ending newline at or after `from`, or -1; tracks CSV quoting across chunks. */
  #rowEnd (data: Buffer, from: number): number {
    if (!this.#isCsv) return data.indexOf(NEWLINE, from)
    const { quote, escape } = this.#s
    for (let i = from; i < data.length; i++) {
      const b = data[i]
      if (this.#isEscaped) {
        this.#isEscaped = false
      } else if (this.#isInQuotes) {
        // With escape = quote, a doubled quote toggles out and back in: the state stays right.
        if (b === escape && escape !== quote) this.#isEscaped = true
        else if (b === quote) this.#isInQuotes = false
      } else if (b === quote) {
        this.#isInQuotes = true
      } else if (b === NEWLINE) {
        return i
      }
    }
    return -1
  }

  /** A whole row (its newline included when it has one): the same Buffer when nothing changed. */
  #maskRow (row: Buffer): Buffer {
    if (this.#isHeaderPending) {
      this.#isHeaderPending = false
      return row
    }
    const hasNewline = row.length > 0 && row[row.length - 1] === NEWLINE
    const fields = this.#splitFields(row, hasNewline ? row.length - 1 : row.length)
    // Clean fields are never decoded: only replaced ones are, and the row is rebuilt only when one is.
    let replaced: Map<number, string> | undefined
    for (let j = 0; j < fields.length; j++) {
      const [start, end] = fields[j]
      if (this.#isNull(row, start, end)) continue
      const column = this.#styles[j]
      if (column !== undefined) {
        (replaced ??= new Map()).set(j, this.#maskColumn(row.toString('utf8', start, end), column))
      } else if (this.#masking.mayMask(row, start, end)) {
        const raw = row.toString('utf8', start, end)
        const value = this.#codec.decode(raw)
        const masked = this.#masking.maskText(value, this.counts)
        if (masked !== value) (replaced ??= new Map()).set(j, this.#codec.encode(masked))
      }
    }
    if (replaced === undefined) return row
    const texts = fields.map(([start, end], j) => replaced.get(j) ?? row.toString('utf8', start, end))
    return Buffer.from(texts.join(String.fromCharCode(this.#s.delimiter)) + (hasNewline ? '\n' : ''), 'utf8')
  }

  /** The field is the NULL string (a quoted CSV field never is). */
  #isNull (row: Buffer, start: number, end: number): boolean {
    if (this.#isCsv && row[start] === this.#s.quote) return false
    return end - start === this.#nullBytes.length && row.compare(this.#nullBytes, 0, this.#nullBytes.length, start, end) === 0
  }

  #maskColumn (raw: string, column: { style: MaskStyle; isText: boolean }): string {
    if (!column.isText) {
      this.counts.add('REDACTED')
      return this.#s.nullString
    }
    const replacement = this.#masking.replaceWhole(this.#codec.decode(raw), column.style, this.counts)
    return replacement === null ? this.#s.nullString : this.#codec.encode(replacement)
  }

  /** [start, end) of each field; CSV delimiters inside quotes and text-format escaped delimiters do not split. */
  #splitFields (row: Buffer, end: number): Array<[number, number]> {
    const out: Array<[number, number]> = []
    const { delimiter, quote, escape } = this.#s
    let start = 0
    let isInQuotes = false
    for (let i = 0; i < end; i++) {
      const b = row[i]
      if (!this.#isCsv && b === BACKSLASH) {
        // Text format writes a delimiter inside a value as backslash + delimiter.
        i++
      } else if (this.#isCsv && isInQuotes) {
        if (b === escape && escape !== quote) i++
        else if (b === quote) isInQuotes = false
      } else if (this.#isCsv && b === quote) {
        isInQuotes = true
      } else if (b === delimiter) {
        out.push([start, i])
        start = i + 1
      }
    }
    out.push([start, end])
    return out
  }
}
