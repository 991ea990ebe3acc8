import type { AuditEntry } from '../../../core/audit/index.js'
import { BACKEND, type Frame } from '../codec/index.js'
import type { CopyOutStatement, MaskCounts, ResponseMasking } from '../masking/index.js'
import type { ErrorFields } from '../messages/error-response.js'

/** What one forwarded client message will be answered with. */
export type ExpectedReply =
  | 'parse' // ParseComplete
  | 'bind' // BindComplete
  | 'close' // CloseComplete
  | 'describe-statement' // ParameterDescription, then RowDescription or NoData
  | 'describe-portal' // RowDescription or NoData
  | 'execute' // rows, then CommandComplete / EmptyQueryResponse / PortalSuspended
  | 'sync' // ReadyForQuery
  | 'query' // anything, up to ReadyForQuery
  | 'function-call' // FunctionCallResponse, up to ReadyForQuery

export interface Pending {
  reply: ExpectedReply
  /** Set when gatehouse replaced the message with one that fails: its error is shown as this instead. */
  denial?: ErrorFields
  /** The decision this reply completes: recorded, with rows and latency, once the reply is settled. */
  audit?: AuditEntry
  /** When the message was forwarded (performance.now() ms), for the audit's latency. */
  sentAt?: number
  /** Rows the reply reported so far (CommandComplete counts, rows of suspended portals). */
  rows?: number
  dataRows?: number
  /** The prepared statement this reply concerns (Parse, Describe, Close; the source of a Bind). */
  statement?: string
  /** The portal this reply concerns (Bind, Describe, Execute, Close). */
  portal?: string
  /** A Bind's result formats. */
  resultFormats?: number[]
  /** Masks in force for what this reply returns; undefined: relayed as it comes. */
  masking?: ResponseMasking
  /** The COPY ... TO STDOUT statements of the SQL, in order, and how many have started. */
  copies?: CopyOutStatement[]
  copyIndex?: number
  /** Values masked in this reply, by type, for its audit entry. */
  masked?: MaskCounts
}

/** Replies that end at ReadyForQuery. */
const ENDS_AT_READY = new Set<ExpectedReply>(['sync', 'query', 'function-call'])

/** What a server frame did to the queue. */
export interface ReplyOutcome {
  /** Show this error instead of the server's (the head was a denial). */
  denial?: ErrorFields
  /** Entries whose replies are complete (or will never come), in order. */
  settled: Pending[]
}

const NOTHING: ReplyOutcome = Object.freeze({ settled: Object.freeze([]) as unknown as Pending[] })

/**
 * The replies still owed by the server, in order (pipelining puts several batches in flight). Each server
 * frame is matched against the head. The server answers in order, so an error is attributed to the
 * message at the head, and only then can it be the one gatehouse made fail.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
export class ReplyQueue {
  readonly #items: Pending[] = []

  /** The reply the next server frame belongs to. */
  get head (): Pending | undefined { return this.#items[0] }

  /** The replies still expected, head first (for tests and diagnostics). */
  expected (): ExpectedReply[] { return this.#items.map((p) => p.reply) }

  push (p: Pending): void { this.#items.push(p) }

  /** Everything still pending, removed (the session is ending). */
  clear (): Pending[] { return this.#items.splice(0) }

  /** Advances the queue past a server frame. */
  onServer (frame: Pick<Frame, 'code' | 'body'>): ReplyOutcome {
    const head = this.#items[0]
    if (head === undefined) return NOTHING
    switch (frame.code) {
      case BACKEND.ERROR_RESPONSE:
        return this.#onError(head)
      case BACKEND.READY_FOR_QUERY: {
        // Everything up to the first reply that ends at ReadyForQuery is settled.
        const settled: Pending[] = []
        while (this.#items.length > 0) {
          const p = this.#items.shift() as Pending
          settled.push(p)
          if (ENDS_AT_READY.has(p.reply)) break
        }
        return { settled }
      }
      case BACKEND.PARSE_COMPLETE: return this.#popIf(head, 'parse')
      case BACKEND.BIND_COMPLETE: return this.#popIf(head, 'bind')
      case BACKEND.CLOSE_COMPLETE: return this.#popIf(head, 'close')
      case BACKEND.PARAMETER_DESCRIPTION:
        // The statement's RowDescription/NoData follows: what is left is the portal-shaped answer.
        if (head.reply === 'describe-statement') head.reply = 'describe-portal'
        return NOTHING
      case BACKEND.ROW_DESCRIPTION:
      case BACKEND.NO_DATA:
        return this.#popIf(head, 'describe-portal')
      case BACKEND.DATA_ROW:
        if (head.audit !== undefined) head.dataRows = (head.dataRows ?? 0) + 1
        return NOTHING
      case BACKEND.COMMAND_COMPLETE:
        if (head.audit !== undefined) head.rows = (head.rows ?? 0) + rowsOfTag(frame.body)
        return this.#popIf(head, 'execute')
      case BACKEND.PORTAL_SUSPENDED:
        if (head.audit !== undefined) head.rows = (head.rows ?? 0) + (head.dataRows ?? 0)
        return this.#popIf(head, 'execute')
      case BACKEND.EMPTY_QUERY_RESPONSE:
        return this.#popIf(head, 'execute')
      default:
        return NOTHING
    }
  }

  #popIf (head: Pending, reply: ExpectedReply): ReplyOutcome {
    if (head.reply !== reply) return NOTHING
    this.#items.shift()
    return { settled: [head] }
  }

  #onError (head: Pending): ReplyOutcome {
    if (ENDS_AT_READY.has(head.reply)) {
      // A simple Query (or FunctionCall) reports one error and still ends with ReadyForQuery.
      const denial = head.denial
      delete head.denial
      return denial !== undefined ? { denial, settled: [] } : NOTHING
    }
    // An error in Parse/Bind/Describe/Execute/Close makes the server skip everything up to the next Sync:
    // those messages will never be answered.
    const settled = [this.#items.shift() as Pending]
    while (this.#items.length > 0 && this.#items[0].reply !== 'sync') settled.push(this.#items.shift() as Pending)
    return head.denial !== undefined ? { denial: head.denial, settled } : { settled }
  }
}

/** The row count at the end of a CommandComplete tag ("SELECT 5", "INSERT 0 3", "COPY 100"); 0 when none. */
function rowsOfTag (body: Buffer): number {
  const end = body.indexOf(0)
  const tag = body.toString('latin1', 0, end === -1 ? body.length : end)
  const n = Number(tag.slice(tag.lastIndexOf(' ') + 1))
  return Number.isSafeInteger(n) ? n : 0
}
