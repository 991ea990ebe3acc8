import { open, stat, type FileHandle } from 'node:fs/promises'
import type { ChainHead } from './hash-chain.js'

const TAIL_CHUNK_BYTES = 64 * 1024
const NEWLINE = 0x0a // '\n'

export interface ChainTail {
  /** The last complete line's seq and hash; undefined when there is none or it is not a chain line. */
  head?: ChainHead
  /** The file ends in the middle of a line (a write torn by a crash): the next write must start a new line. */
  isTorn: boolean
}

/**
 * Reads the last complete line of an audit file, scanning backwards, so a restart continues the chain.
 * Only regular files have a tail; a FIFO or device sink (a log shipper's pipe) starts a fresh chain.
 */
export async function readChainTail (path: string): Promise<ChainTail> {
  try {
    if (!(await stat(path)).isFile()) return { isTorn: false }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { isTorn: false }
    throw err
  }
  const fh = await open(path, 'r')
  try {
    const size = (await fh.stat()).size
    if (size === 0) return { isTorn: false }
    const lineEnd = await lastNewlineBefore(fh, size)
    const isTorn = lineEnd !== size - 1
    if (lineEnd === -1) return { isTorn }
    const lineStart = (await lastNewlineBefore(fh, lineEnd)) + 1
    const line = Buffer.alloc(lineEnd - lineStart)
    await fh.read(line, 0, line.length, lineStart)
    return { head: parseHead(line.toString('utf8')), isTorn }
  } finally {
    await fh.close()
  }
}

/** Offset of the last '\n' before `end`, or -1. */
async function lastNewlineBefore (fh: FileHandle, end: number): Promise<number> {
  let pos = end
  while (pos > 0) {
    const from = Math.max(0, pos - TAIL_CHUNK_BYTES)
    const chunk = Buffer.alloc(pos - from)
    await fh.read(chunk, 0, chunk.length, from)
    const i = chunk.lastIndexOf(NEWLINE)
    if (i !== -1) return from + i
    pos = from
  }
  return -1
}

function parseHead (text: string): ChainHead | undefined {
  try {
    const line = JSON.parse(text) as { seq?: unknown; hash?: unknown }
    if (Number.isSafeInteger(line.seq) && typeof line.hash === 'string' && /^[0-9a-f]{64}$/.test(line.hash)) {
      return { seq: line.seq as number, hash: line.hash }
    }
  } catch {}
  return undefined
}
