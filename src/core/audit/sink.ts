import { open } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { promisify } from 'node:util'
import { dirname } from 'node:path'
import { pino } from 'pino'
import type { AuditSinkConfig } from '../config/index.js'
import type { Logger } from '../log/index.js'

/** Bytes a sink may hold waiting for its destination; beyond this, new lines are dropped (and counted). */
export const MAX_SINK_BUFFER_BYTES = 16 * 1024 * 1024
/** How long close() waits for a sink to flush before giving up on what it still holds. */
export const SINK_CLOSE_TIMEOUT_MS = 5_000
/**
 * Lines wait in the sink until this many bytes are queued, or SINK_BATCH_MS after the first of them, and go
 * out in one write: one thread-pool round trip and one event-loop wake-up for a batch instead of one per
 * line (under pgbench -S that round trip cost more CPU than the rest of a statement's audit).
 */
export const SINK_BATCH_BYTES = 8 * 1024
/** Longest a line waits in the sink before its write starts. */
export const SINK_BATCH_MS = 5
/** Minimum time between two "sink is in trouble" log lines. */
const REPORT_INTERVAL_MS = 10_000
const AUDIT_FILE_MODE = 0o640

/** One destination for audit lines. write() never waits: it queues, or drops when the queue is full. */
export interface AuditSink {
  readonly name: string
  write (text: string): void
  /** Lines refused because the destination fell MAX_SINK_BUFFER_BYTES behind. */
  readonly dropped: number
  close (): Promise<void>
}

export interface SinkOptions {
  log: Logger
  maxBufferBytes?: number
  /** Where a stdout sink writes; tests pass a file descriptor of their own. */
  stdoutFd?: number
}

/**
 * Opens a sink on a pino destination (SonicBoom) writing asynchronously: the caller's write() returns
 * at once and the destination drains in the background. A file sink opens its file (creating parent
 * directories) here, so an unwritable audit path stops start-up instead of failing silently later.
 * @see https://github.com/pinojs/pino/blob/main/docs/api.md#pino-destination
 */
export async function openSink (cfg: AuditSinkConfig, opts: SinkOptions): Promise<AuditSink> {
  let fd: number
  let name: string
  if (cfg.type === 'file') {
    await mkdir(dirname(cfg.path), { recursive: true })
    // A raw descriptor (not a FileHandle, which closes itself when collected): SonicBoom owns it and closes it on end().
    fd = await promisify(open)(cfg.path, 'a', AUDIT_FILE_MODE)
    name = `file:${cfg.path}`
  } else {
    fd = opts.stdoutFd ?? 1
    name = 'stdout'
  }
  const log = opts.log.child({ sink: name })
  const dest = pino.destination({ fd, sync: false, minLength: SINK_BATCH_BYTES, maxLength: opts.maxBufferBytes ?? MAX_SINK_BUFFER_BYTES })
  let dropped = 0
  /** Bytes accepted and not yet written (SonicBoom leaves less than minLength waiting after a write). */
  let unwritten = 0
  let batchTimer: NodeJS.Timeout | undefined
  const writeBatch = (): void => {
    batchTimer = undefined
    // While a write is in flight flush() does nothing; its end ('drain') schedules the rest.
    if (unwritten > 0 && closing === undefined) dest.flush()
  }
  const writeSoon = (): void => {
    batchTimer ??= setTimeout(writeBatch, SINK_BATCH_MS).unref()
  }
  dest.on('write', (n: number) => { unwritten -= n })
  dest.on('drain', () => { if (unwritten > 0) writeSoon() })
  let failed = 0
  let reportedAt = -Infinity
  // A sink in trouble stays in trouble for a while: one log line per interval, with running counts.
  const report = (fields: Record<string, unknown>, msg: string): void => {
    if (Date.now() - reportedAt < REPORT_INTERVAL_MS) return
    reportedAt = Date.now()
    log.error({ ...fields, dropped, failed }, msg)
  }
  dest.on('drop', () => {
    dropped++
    report({}, 'audit: sink is falling behind; lines dropped (the hash chain will show the gap)')
  })
  dest.on('error', (err: Error) => {
    failed++
    report({ err: err.message }, 'audit: sink write failed')
  })
  let closing: Promise<void> | undefined

  return {
    name,
    get dropped () { return dropped },
    write (text) {
      if (closing !== undefined) return
      const droppedBefore = dropped
      dest.write(text)
      if (dropped !== droppedBefore) return
      unwritten += Buffer.byteLength(text)
      writeSoon()
    },
    close () {
      clearTimeout(batchTimer)
      // end() writes what is still batched.
      closing ??= new Promise<void>((resolve) => {
        const giveUp = (why: string): void => {
          clearTimeout(timer)
          log.error({ dropped, failed }, `audit: sink ${why} while closing; unwritten lines lost`)
          dest.destroy()
          resolve()
        }
        const timer = setTimeout(() => { giveUp('did not flush') }, SINK_CLOSE_TIMEOUT_MS)
        dest.once('close', () => { clearTimeout(timer); resolve() })
        // A write that fails now will fail on every retry: waiting for the timeout would only delay shutdown.
        dest.once('error', () => { giveUp('failed') })
        dest.end()
      })
      return closing
    }
  }
}
