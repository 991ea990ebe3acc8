import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { GENESIS_HASH, hashLine, type ChainHead } from './hash-chain.js'

export type ChainVerdict =
  | { ok: true; lines: number; firstSeq?: number; head?: ChainHead }
  | { ok: false; line: number; reason: string }

export interface VerifyOptions {
  /**
   * Where the chain stands before the first line: the genesis (the default, so a file must start at
   * seq 1), the last line of the file before (rotated logs), or `null` to accept any starting point.
   */
  after?: ChainHead | null
}

const GENESIS: ChainHead = { seq: 0, hash: GENESIS_HASH }

/**
 * Checks a chain line by line: each line's hash against its content, its prev and seq against the line
 * before (or `after` for the first). Stops at the first bad line and says why.
 */
export async function verifyAuditLines (lines: AsyncIterable<string> | Iterable<string>, opts: VerifyOptions = {}): Promise<ChainVerdict> {
  let head = opts.after === undefined ? GENESIS : opts.after
  let n = 0
  let firstSeq: number | undefined
  let pendingBlank = 0
  let chained = 0
  for await (const text of lines) {
    n++
    // Blank lines are only tolerated at the very end (a trailing newline); inside the file they are edits.
    if (text === '') { pendingBlank = pendingBlank === 0 ? n : pendingBlank; continue }
    if (pendingBlank !== 0) return { ok: false, line: pendingBlank, reason: 'empty line' }
    let line: Record<string, unknown>
    try {
      line = JSON.parse(text) as Record<string, unknown>
    } catch {
      return { ok: false, line: n, reason: 'not valid JSON' }
    }
    if (line === null || typeof line !== 'object' || Array.isArray(line) || !Number.isSafeInteger(line.seq) ||
        typeof line.prev !== 'string' || typeof line.hash !== 'string') {
      return { ok: false, line: n, reason: 'not an audit chain line (needs seq, prev and hash)' }
    }
    const seq = line.seq as number
    if (hashLine(line) !== line.hash) return { ok: false, line: n, reason: "hash does not match the line's content (the line was edited)" }
    if (head !== null && line.prev !== head.hash) return { ok: false, line: n, reason: brokenLink(n, seq, head) }
    if (head !== null && seq !== head.seq + 1) return { ok: false, line: n, reason: `seq ${seq} does not follow seq ${head.seq}` }
    firstSeq ??= seq
    head = { seq, hash: line.hash }
    chained++
  }
  return head === null ? { ok: true, lines: chained, firstSeq } : { ok: true, lines: chained, firstSeq, head }
}

function brokenLink (n: number, seq: number, head: ChainHead): string {
  if (n > 1) return `prev does not match the hash of line ${n - 1} (a line before it was removed, inserted or reordered, or a sink dropped lines)`
  if (head.seq > 0) return `prev does not match the hash of the line before it (seq ${head.seq})`
  if (seq === 1) return 'seq 1 does not start from the genesis hash'
  return `the chain starts at seq ${seq}, not 1: earlier lines are missing (a rotated log? verify the older files first, in order, in the same command)`
}

/** verifyAuditLines over a file, streamed (audit files grow large). */
export async function verifyAuditFile (path: string, opts: VerifyOptions = {}): Promise<ChainVerdict> {
  const input = createReadStream(path, { encoding: 'utf8' })
  const rl = createInterface({ input, crlfDelay: Infinity })
  try {
    return await verifyAuditLines(rl, opts)
  } finally {
    rl.close()
    input.destroy()
  }
}
