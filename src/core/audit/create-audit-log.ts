import { appendFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { AuditConfig } from '../config/index.js'
import type { Logger } from '../log/index.js'
import { ConfigError } from '../errors.js'
import type { AuditEntry, AuditLog, AuditStats, SystemEventKind } from './index.js'
import { readChainTail } from './chain-tail.js'
import { GENESIS_HASH, sealLine, type ChainHead } from './hash-chain.js'
import { decisionLineBody, systemLineBody } from './line-fields.js'
import { openSink, type AuditSink } from './sink.js'

export interface AuditLogOptions {
  log: Logger
  /** Where session recordings will live (not written yet; see docs/audit.md). */
  dataDir: string
  /** Per-sink buffer limit in bytes (default MAX_SINK_BUFFER_BYTES). */
  maxSinkBufferBytes?: number
  /** Where the stdout sink writes (default 1); tests pass their own descriptor. */
  stdoutFd?: number
}

/**
 * Opens every configured sink and continues the hash chain from the newest file sink's last line, so a
 * restart extends the same chain. record() and system() seal a line synchronously (the chain order is
 * the call order) and hand it to each sink without waiting for any of them.
 */
export async function createAuditLog (cfg: AuditConfig, opts: AuditLogOptions): Promise<AuditLog> {
  const log = opts.log.child({ room: 'audit' })
  const names = cfg.sinks.map((s) => s.type === 'file' ? resolve(s.path) : 'stdout')
  const repeated = names.filter((n, i) => names.indexOf(n) !== i)
  // The same destination twice would hold every line twice, which reads as a broken chain.
  if (repeated.length > 0) throw new ConfigError([`audit.sinks: ${repeated[0]} is listed more than once`])
  let head: ChainHead = { seq: 0, hash: GENESIS_HASH }
  for (const sink of cfg.sinks) {
    if (sink.type !== 'file') continue
    const tail = await readChainTail(sink.path)
    if (tail.isTorn) {
      log.warn({ path: sink.path }, 'audit: file ends in a torn line (crash mid-write?); `gatehouse audit verify` will report it')
      await appendFile(sink.path, '\n')
    }
    if (tail.head !== undefined && tail.head.seq > head.seq) head = tail.head
  }
  const sinks: AuditSink[] = []
  try {
    for (const sink of cfg.sinks) sinks.push(await openSink(sink, { log, maxBufferBytes: opts.maxSinkBufferBytes, stdoutFd: opts.stdoutFd }))
  } catch (err) {
    await Promise.all(sinks.map((s) => s.close()))
    throw err
  }
  if (head.seq > 0) log.info({ seq: head.seq }, 'audit: continuing the hash chain')
  let isClosed = false
  let lines = 0

  const append = (body: Record<string, unknown>): void => {
    if (isClosed) {
      log.error({ kind: body.kind }, 'audit: line recorded after close was dropped')
      return
    }
    const sealed = sealLine(body, head)
    head = sealed.head
    lines++
    for (const sink of sinks) sink.write(sealed.text)
  }

  return {
    record (entry: AuditEntry) { append(decisionLineBody(entry, new Date())) },
    system (kind: SystemEventKind, data: Record<string, unknown>) { append(systemLineBody(kind, data, new Date())) },
    stats (): AuditStats {
      return { lines, seq: head.seq, dropped: Object.fromEntries(sinks.map((s) => [s.name, s.dropped])) }
    },
    async close () {
      if (isClosed) return
      isClosed = true
      await Promise.all(sinks.map((s) => s.close()))
    }
  }
}
