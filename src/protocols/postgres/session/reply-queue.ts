import { BACKEND } from '../codec/index.js'
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
}

/** Replies that end at ReadyForQuery. */
const ENDS_AT_READY = new Set<ExpectedReply>(['sync', 'query', 'function-call'])

/**
 * The replies still owed by the server, in order (pipelining puts several batches in flight). Each server
 * frame is matched against the head. The server answers in order, so an error is attributed to the
 * message at the head, and only then can it be the one gatehouse made fail.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
export class ReplyQueue {
  readonly #items: Pending[] = []

  get length (): number { return this.#items.length }

  /** The replies still expected, head first (for tests and diagnostics). */
  expected (): ExpectedReply[] { return this.#items.map((p) => p.reply) }

  push (p: Pending): void { this.#items.push(p) }

  /**
   * Advances the queue past a server frame; returns the error to show instead of an ErrorResponse when
   * the head was a denial, else undefined (relay the frame as it is).
   */
  onServer (code: number): ErrorFields | undefined {
    const head = this.#items[0]
    if (head === undefined) return undefined
    switch (code) {
      case BACKEND.ERROR_RESPONSE:
        return this.#onError(head)
      case BACKEND.READY_FOR_QUERY:
        // Everything up to the first reply that ends at ReadyForQuery is settled.
        while (this.#items.length > 0) {
          const p = this.#items.shift() as Pending
          if (ENDS_AT_READY.has(p.reply)) break
        }
        return undefined
      case BACKEND.PARSE_COMPLETE:
        this.#popIf(head, 'parse')
        return undefined
      case BACKEND.BIND_COMPLETE:
        this.#popIf(head, 'bind')
        return undefined
      case BACKEND.CLOSE_COMPLETE:
        this.#popIf(head, 'close')
        return undefined
      case BACKEND.PARAMETER_DESCRIPTION:
        // The statement's RowDescription/NoData follows: what is left is the portal-shaped answer.
        if (head.reply === 'describe-statement') head.reply = 'describe-portal'
        return undefined
      case BACKEND.ROW_DESCRIPTION:
      case BACKEND.NO_DATA:
        this.#popIf(head, 'describe-portal')
        return undefined
      case BACKEND.COMMAND_COMPLETE:
      case BACKEND.EMPTY_QUERY_RESPONSE:
      case BACKEND.PORTAL_SUSPENDED:
        this.#popIf(head, 'execute')
        return undefined
      default:
        return undefined
    }
  }

  #popIf (head: Pending, reply: ExpectedReply): void {
    if (head.reply === reply) this.#items.shift()
  }

  #onError (head: Pending): ErrorFields | undefined {
    if (ENDS_AT_READY.has(head.reply)) {
      // A simple Query (or FunctionCall) reports one error and still ends with ReadyForQuery.
      const denial = head.denial
      delete head.denial
      return denial
    }
    // An error in Parse/Bind/Describe/Execute/Close makes the server skip everything up to the next Sync:
    // those messages will never be answered.
    this.#items.shift()
    while (this.#items.length > 0 && this.#items[0].reply !== 'sync') this.#items.shift()
    return head.denial
  }
}
