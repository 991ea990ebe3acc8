import { UpstreamError } from '../../../core/errors.js'
import type { PostgresTargetConfig } from '../../../core/config/index.js'
import { BACKEND } from '../codec/index.js'
import { encodeBind } from '../messages/bind.js'
import { decodeDataRow } from '../messages/data-row.js'
import { encodeDescribe } from '../messages/describe.js'
import { decodeErrorFields } from '../messages/error-response.js'
import { encodeExecute } from '../messages/execute.js'
import { encodeParse } from '../messages/parse.js'
import { decodeRowDescription } from '../messages/row-description.js'
import { encodeSync } from '../messages/sync.js'
import { connectUpstream, MAX_SERVER_MESSAGE_BYTES, type UpstreamSession } from './connect-upstream.js'
import { FrameSource } from './frame-source.js'

export type CatalogRow = Record<string, string | null>

export interface CatalogConnectionOptions {
  target: PostgresTargetConfig
  /** Deadline of the login and of each query. */
  timeoutMs: number
  /** An unused connection is closed after this long (default 30 s). */
  idleMs?: number
}

const DEFAULT_IDLE_MS = 30_000

interface Link { session: UpstreamSession; frames: FrameSource }

/**
 * gatehouse's own session on a target, for catalog lookups (result masking resolves columns through it),
 * logged in with the target's credentials like every relayed session. Queries run one at a time with
 * text parameters; the connection opens on first use, closes when idle, and is opened anew after a failure.
 */
export class CatalogConnection {
  readonly #opts: CatalogConnectionOptions
  #link: Promise<Link> | undefined
  #tail: Promise<unknown> = Promise.resolve()
  #idleTimer: NodeJS.Timeout | undefined
  #closed = false

  constructor (opts: CatalogConnectionOptions) {
    this.#opts = opts
  }

  /** Rows as objects by column name, values as text. */
  async query (sql: string, params: readonly unknown[]): Promise<CatalogRow[]> {
    const run = this.#tail.then(async () => await this.#run(sql, params))
    this.#tail = run.catch(() => {})
    return await run
  }

  /** Closes the connection; later queries fail. */
  close (): void {
    this.#closed = true
    this.#drop()
  }

  async #run (sql: string, params: readonly unknown[]): Promise<CatalogRow[]> {
    const isReused = this.#link !== undefined
    try {
      return await this.#attempt(sql, params)
    } catch (err) {
      // A connection that sat idle may have been closed by the server (idle_session_timeout, a restart,
      // a pooler): one more try on a fresh one.
      if (!isReused || this.#closed) throw err
      return await this.#attempt(sql, params)
    }
  }

  async #attempt (sql: string, params: readonly unknown[]): Promise<CatalogRow[]> {
    if (this.#closed) throw new UpstreamError(`the catalog connection to target "${this.#opts.target.name}" is closed`)
    clearTimeout(this.#idleTimer)
    if (this.#link === undefined) {
      const opening = this.#open()
      this.#link = opening
      // A link the server closed (idle_session_timeout, a restart) is forgotten at once, not at its next use.
      opening.then((l) => { l.session.socket.once('close', () => { if (this.#link === opening) this.#drop() }) }, () => {})
    }
    const pending = this.#link
    try {
      return await this.#exchange(await pending, sql, params)
    } catch (err) {
      // A failed query leaves the link in an unknown state: the next one starts afresh.
      if (this.#link === pending) this.#drop()
      throw err
    } finally {
      if (this.#link !== undefined) {
        this.#idleTimer = setTimeout(() => { this.#drop() }, this.#opts.idleMs ?? DEFAULT_IDLE_MS)
        this.#idleTimer.unref()
      }
    }
  }

  async #open (): Promise<Link> {
    const session = await connectUpstream({ target: this.#opts.target, params: { application_name: 'gatehouse catalog' }, timeoutMs: this.#opts.timeoutMs })
    const frames = new FrameSource(session.socket, MAX_SERVER_MESSAGE_BYTES, session.leftover)
    session.socket.resume()
    return { session, frames }
  }

  #drop (): void {
    clearTimeout(this.#idleTimer)
    const link = this.#link
    this.#link = undefined
    link?.then((l) => { l.session.socket.destroy() }, () => {})
  }

  /** Parse, Bind, Describe, Execute, Sync; reads up to ReadyForQuery. @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY */
  async #exchange (link: Link, sql: string, params: readonly unknown[]): Promise<CatalogRow[]> {
    const socket = link.session.socket
    const timer = setTimeout(() => { socket.destroy(new UpstreamError(`catalog query timed out after ${this.#opts.timeoutMs} ms`)) }, this.#opts.timeoutMs)
    try {
      socket.write(Buffer.concat([
        encodeParse({ name: '', sql, paramTypes: [] }),
        encodeBind({ portal: '', statement: '', paramFormats: [], params: params.map(encodeParam), resultFormats: [] }),
        encodeDescribe({ target: 'portal', name: '' }),
        encodeExecute({ portal: '', maxRows: 0 }),
        encodeSync()
      ]))
      let names: string[] = []
      const rows: CatalogRow[] = []
      let failure: string | undefined
      for (;;) {
        const f = await link.frames.next()
        switch (f.code) {
          case BACKEND.ROW_DESCRIPTION: names = decodeRowDescription(f.body).fields.map((d) => d.name); break
          case BACKEND.DATA_ROW: {
            const row: CatalogRow = {}
            decodeDataRow(f.body).values.forEach((v, i) => { row[names[i] ?? String(i)] = v === null ? null : v.toString('utf8') })
            rows.push(row)
            break
          }
          case BACKEND.ERROR_RESPONSE: failure = decodeErrorFields(f.body).message; break
          case BACKEND.READY_FOR_QUERY:
            if (failure !== undefined) throw new UpstreamError(`catalog query failed on target "${this.#opts.target.name}": ${failure}`)
            return rows
          default: break
        }
      }
    } finally {
      clearTimeout(timer)
    }
  }
}

/** A parameter as text: null/undefined as NULL, an array of numbers as an array literal. */
function encodeParam (p: unknown): Buffer | null {
  if (p === null || p === undefined) return null
  if (Array.isArray(p)) return Buffer.from(`{${p.map(Number).join(',')}}`)
  return Buffer.from(String(p), 'utf8')
}
