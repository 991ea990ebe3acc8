import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { GENESIS_HASH, hashLine } from './hash-chain.js'

export type ChainVerdict =
  | { ok: true; lines: number; firstSeq?: number }
  | { ok: false; line: number; reason: string }

/**
 * Checks a chain line by line: each line's hash against its content, its prev against the line
 * before, its seq against the one before. Stops at the first bad line; a file that begins after seq 1
 * (a rotated log) is accepted as a continuation and reported through firstSeq.
 */
export async function verifyAuditLines (lines: AsyncIterable<string> | Iterable<string>): Promise<ChainVerdict> {
  let n = 0
  let prevHash: string | undefined
  let prevSeq = 0
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
    if (prevHash === undefined) {
      firstSeq = seq
      if (seq === 1 && line.prev !== GENESIS_HASH) return { ok: false, line: n, reason: 'seq 1 does not start from the genesis hash' }
    } else {
      if (line.prev !== prevHash) {
        return { ok: false, line: n, reason: `prev does not match the hash of line ${n - 1} (a line before it was removed, inserted or reordered, or a sink dropped lines)` }
      }
      if (seq !== prevSeq + 1) return { ok: false, line: n, reason: `seq ${seq} does not follow seq ${prevSeq}` }
    }
    prevHash = line.hash
    prevSeq = seq
    chained++
  }
  return { ok: true, lines: chained, firstSeq }
}

/** verifyAuditLines over a file, streamed (audit files grow large). */
export async function verifyAuditFile (path: string): Promise<ChainVerdict> {
  const input = createReadStream(path, { encoding: 'utf8' })
  const rl = createInterface({ input, crlfDelay: Infinity })
  try {
    return await verifyAuditLines(rl)
  } finally {
    rl.close()
    input.destroy()
  }
}
