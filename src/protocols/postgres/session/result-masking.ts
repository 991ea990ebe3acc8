import { BACKEND, type Frame } from '../codec/index.js'
import {
  CopyOutMasker, MaskCounts, maskNoticeFrame, RowMasker, withResultFormats, type ColumnResolver, type ResolvedColumn, type ResponseMasking
} from '../masking/index.js'
import { encodeCopyData } from '../messages/copy-data.js'
import { decodeCopyOutResponse } from '../messages/copy-out-response.js'
import { decodeRowDescription, TEXT_FORMAT, type FieldDescription } from '../messages/row-description.js'
import type { Pending } from './reply-queue.js'

export interface ResultMaskingOptions {
  /** The target's catalog: result columns are named by table OID and attribute number. */
  resolver: ColumnResolver
  /** A catalog lookup failed: the result is still masked, by column names and content. */
  onResolveError: (err: unknown) => void
}

interface Portal {
  /** The RowDescription of the statement it was bound from (null: no rows; undefined: never described). */
  statementDescription?: Buffer | null
  /** The Bind's result formats. */
  resultFormats?: readonly number[]
  /** The portal's result fields with their formats, once needed (decoding is skipped when nothing masks). */
  fields?: FieldDescription[] | null
  rows?: RowMasker
}

/** CommandComplete tags after which the catalog may have changed, compared as bytes: every statement has one. */
const DDL_TAGS = ['CREATE ', 'ALTER ', 'DROP ', 'COMMENT ', 'GRANT', 'REVOKE', 'SECURITY LABEL', 'REFRESH '].map((t) => Buffer.from(t, 'latin1'))
const isDdlTag = (body: Buffer): boolean => DDL_TAGS.some((t) => body.length >= t.length && body.compare(t, 0, t.length, 0, t.length) === 0)

/**
 * Masks what the server sends back under the masks of the decision each reply belongs to, and keeps what
 * that needs in server order: the fields of prepared statements (Describe of a statement) and of portals
 * (a Bind of a described statement, or Describe of the portal), so an Execute with no Describe of its own
 * (cached prepared statements) is masked with the right columns and formats. How it fits the relay:
 * docs/postgres-masking.md.
 */
export class ResultMasking {
  readonly #opts: ResultMaskingOptions
  /** RowDescription bodies of described statements (kept raw: most are never needed); null for NoData. */
  readonly #statements = new Map<string, Buffer | null>()
  readonly #portals = new Map<string, Portal>()
  /** The result set a simple Query is sending. */
  #rows: RowMasker | undefined
  #copy: CopyOutMasker | undefined
  #wait: Promise<void> | undefined

  constructor (opts: ResultMaskingOptions) {
    this.#opts = opts
  }

  /**
   * A catalog lookup the server frames after the last one must wait for (taken once): the next DataRow
   * needs its columns resolved.
   */
  takeWait (): Promise<void> | undefined {
    const w = this.#wait
    this.#wait = undefined
    return w
  }

  /**
   * One server frame, answering `head` (the reply at the head of the queue when it arrived). Returns the
   * bytes for the client: `frame.raw` when unchanged, a replacement, or an empty buffer when nothing is
   * due yet (COPY data held until its row ends).
   */
  onServer (frame: Frame, head: Pending | undefined): Buffer {
    const masking = head?.masking
    switch (frame.code) {
      case BACKEND.PARSE_COMPLETE:
        if (head?.statement !== undefined) this.#statements.delete(head.statement)
        return frame.raw
      case BACKEND.BIND_COMPLETE:
        if (head?.portal !== undefined) this.#onBound(head)
        return frame.raw
      case BACKEND.CLOSE_COMPLETE:
        if (head?.statement !== undefined) this.#statements.delete(head.statement)
        if (head?.portal !== undefined) this.#portals.delete(head.portal)
        return frame.raw
      case BACKEND.ROW_DESCRIPTION:
      case BACKEND.NO_DATA:
        this.#onDescription(frame, head)
        return frame.raw
      case BACKEND.DATA_ROW: {
        if (masking === undefined) return frame.raw
        const rows = head?.reply === 'query' ? this.#rows : this.#portalRows(head, frame, masking)
        return rows?.maskDataRow(frame.body) ?? frame.raw
      }
      case BACKEND.COMMAND_COMPLETE:
      case BACKEND.PORTAL_SUSPENDED:
      case BACKEND.EMPTY_QUERY_RESPONSE:
        this.#endOfRows(head)
        if (frame.code === BACKEND.COMMAND_COMPLETE && isDdlTag(frame.body)) this.#opts.resolver.invalidate()
        return frame.raw
      case BACKEND.COPY_OUT_RESPONSE:
        if (masking !== undefined && head !== undefined) this.#startCopy(frame, head, masking)
        return frame.raw
      case BACKEND.COPY_DATA: {
        if (this.#copy === undefined) return frame.raw
        const out = this.#copy.push(frame.body)
        return out === frame.body ? frame.raw : out.length > 0 ? encodeCopyData(out) : EMPTY
      }
      case BACKEND.COPY_DONE: {
        const copy = this.#copy
        if (copy === undefined) return frame.raw
        this.#copy = undefined
        const tail = copy.end()
        addCounts(head, copy)
        return tail.length > 0 ? Buffer.concat([encodeCopyData(tail), frame.raw]) : frame.raw
      }
      case BACKEND.ERROR_RESPONSE:
        // An error ends the result set or COPY in progress.
        this.#endOfRows(head)
        this.#copy = undefined
        return this.#maskNotice(frame, head)
      case BACKEND.NOTICE_RESPONSE:
        return this.#maskNotice(frame, head)
      case BACKEND.READY_FOR_QUERY:
        this.#rows = undefined
        this.#copy = undefined
        // Outside a transaction block the server holds no portal: neither do we (clients that never Close
        // their portals would otherwise grow this map for the life of the session).
        if (frame.body[0] === IDLE) this.#portals.clear()
        return frame.raw
      default:
        return frame.raw
    }
  }

  #maskNotice (frame: Frame, head: Pending | undefined): Buffer {
    if (head?.masking === undefined) return frame.raw
    head.masked ??= new MaskCounts()
    return maskNoticeFrame(frame.code, frame.body, head.masking, head.masked) ?? frame.raw
  }

  /** A portal was made: its fields are the statement's (when described) with the Bind's result formats. */
  #onBound (head: Pending): void {
    const portal = head.portal as string
    const p: Portal = { resultFormats: head.resultFormats ?? [] }
    if (head.statement !== undefined && this.#statements.has(head.statement)) p.statementDescription = this.#statements.get(head.statement)
    this.#portals.set(portal, p)
    const fields = head.masking !== undefined ? fieldsOf(p) : undefined
    if (head.masking !== undefined && fields != null) this.#buildRows(fields, head.masking, (m) => { p.rows = m })
  }

  #onDescription (frame: Frame, head: Pending | undefined): void {
    if (head === undefined) return
    const isRows = frame.code === BACKEND.ROW_DESCRIPTION
    if (head.reply === 'describe-statement' || (head.reply === 'describe-portal' && head.statement !== undefined)) {
      // A copy: the frame's bytes belong to a larger read buffer that must not be kept alive.
      this.#statements.set(head.statement as string, isRows ? Buffer.from(frame.body) : null)
    } else if (head.reply === 'describe-portal' && head.portal !== undefined && head.masking !== undefined) {
      // The portal's own description has its exact formats. Unmasked, the Bind's memory is enough.
      const fields = isRows ? decodeRowDescription(frame.body).fields : null
      const p: Portal = { fields }
      this.#portals.set(head.portal, p)
      if (fields !== null) this.#buildRows(fields, head.masking, (m) => { p.rows = m })
    } else if (head.reply === 'query' && isRows && head.masking !== undefined) {
      this.#rows = undefined
      this.#buildRows(decodeRowDescription(frame.body).fields, head.masking, (m) => { this.#rows = m })
    }
  }

  /**
   * The masker of an Execute's rows, made before its first row when the Bind or Describe carried masks.
   * Made here (with no time for a catalog lookup) when it did not: by cached column identity, else by
   * column names and content. A portal never described (a client that knows its columns) is masked by
   * content as text: nothing about it is known but the number of values.
   */
  #portalRows (head: Pending | undefined, frame: Frame, masking: ResponseMasking): RowMasker | undefined {
    if (head?.portal === undefined) return undefined
    let p = this.#portals.get(head.portal)
    if (p === undefined) {
      p = {}
      this.#portals.set(head.portal, p)
    }
    if (p.rows === undefined) {
      const fields = fieldsOf(p) ?? undescribedFields(frame.body.readUInt16BE(0), p.resultFormats ?? [])
      const columns = masking.hasColumnRules ? this.#opts.resolver.cached(fields) : undefined
      p.rows = new RowMasker({ fields, ...(columns !== undefined ? { columns } : {}), masking })
    }
    return p.rows
  }

  #endOfRows (head: Pending | undefined): void {
    if (head?.reply === 'query') {
      if (this.#rows !== undefined) addCounts(head, this.#rows)
      this.#rows = undefined
    } else if (head?.portal !== undefined) {
      const rows = this.#portals.get(head.portal)?.rows
      if (rows !== undefined) addCounts(head, rows)
    }
  }

  #buildRows (fields: FieldDescription[], masking: ResponseMasking, set: (m: RowMasker) => void): void {
    if (!masking.hasColumnRules) {
      set(new RowMasker({ fields, masking }))
      return
    }
    const cached = this.#opts.resolver.cached(fields)
    if (cached !== undefined) {
      set(new RowMasker({ fields, columns: cached, masking }))
      return
    }
    this.#waitFor(this.#opts.resolver.resolve(fields), (columns) => {
      set(new RowMasker({ fields, ...(columns !== undefined ? { columns } : {}), masking }))
    })
  }

  #startCopy (frame: Frame, head: Pending, masking: ResponseMasking): void {
    const response = decodeCopyOutResponse(frame.body)
    const statement = head.copies?.[head.copyIndex ?? 0]
    head.copyIndex = (head.copyIndex ?? 0) + 1
    const relation = statement?.relation
    const make = (columns?: ReadonlyArray<ResolvedColumn | undefined>): void => {
      this.#copy = new CopyOutMasker({ response, ...(statement !== undefined ? { statement } : {}), ...(columns !== undefined ? { columns } : {}), masking })
    }
    // Binary COPY was refused before it ran; should one come anyway, the masker refuses it at once.
    if (relation === undefined || !masking.hasColumnRules || response.format === 'binary') {
      make()
      return
    }
    this.#waitFor(this.#opts.resolver.resolveTable(relation.schema, relation.name, statement?.columns), make)
  }

  /** Later server frames wait for `lookup`; a failed lookup leaves masking by names and content. */
  #waitFor<T> (lookup: Promise<T | undefined>, then: (value: T | undefined) => void): void {
    this.#wait = lookup.then(then, (err: unknown) => {
      this.#opts.onResolveError(err)
      then(undefined)
    })
  }
}

const EMPTY = Buffer.alloc(0)
/** ReadyForQuery's transaction status outside a transaction block. */
const IDLE = 0x49 // 'I'

function addCounts (head: Pending | undefined, from: RowMasker | CopyOutMasker): void {
  if (head === undefined || from.counts.total === 0) return
  head.masked ??= new MaskCounts()
  for (const [type, n] of Object.entries(from.counts.toRecord())) head.masked.add(type, n)
  from.counts.clear()
}

/** A portal's fields: its own description's, or its statement's with the Bind's formats. */
function fieldsOf (p: Portal): FieldDescription[] | null | undefined {
  if (p.fields === undefined && p.statementDescription !== undefined) {
    p.fields = p.statementDescription === null ? null : withResultFormats(decodeRowDescription(p.statementDescription).fields, p.resultFormats ?? [])
  }
  return p.fields
}

/**
 * Fields for rows whose RowDescription was never seen: no type, no table identity, so text values are
 * scanned by content and binary ones (of unknown type) relayed.
 */
function undescribedFields (n: number, resultFormats: readonly number[]): FieldDescription[] {
  const unknown = Array.from({ length: n }, (): FieldDescription => ({ name: '', tableOid: 0, attnum: 0, typeOid: 0, typeSize: -1, typeModifier: -1, format: TEXT_FORMAT }))
  return resultFormats.length > 1 && resultFormats.length !== n ? unknown : withResultFormats(unknown, resultFormats)
}
