import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import type { PolicyFile } from './policy-files.js'

const run = promisify(execFile)
const GIT_TIMEOUT_MS = 5000
const HASH_HEX_CHARS = 16

/** `sha256:` + the first 16 hex digits of SHA-256 over each file's relative path and contents. */
export function contentRevision (files: readonly PolicyFile[]): string {
  const h = createHash('sha256')
  for (const f of files) h.update(`${f.rel}\0${f.text.length}\0${f.text}\0`)
  return `sha256:${h.digest('hex').slice(0, HASH_HEX_CHARS)}`
}

/**
 * The revision stamped on decisions. In a git checkout: the HEAD commit, plus
 * `-dirty.<content hash>` when anything under the dir differs from HEAD (so two different
 * uncommitted states never share a revision). Elsewhere, or when git is unavailable: the content hash.
 */
export async function policyRevision (dir: string, files: readonly PolicyFile[]): Promise<string> {
  const hash = contentRevision(files)
  try {
    const opts = { timeout: GIT_TIMEOUT_MS, windowsHide: true }
    const head = (await run('git', ['-C', dir, 'rev-parse', '--verify', 'HEAD'], opts)).stdout.trim()
    const status = (await run('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=all', '--', '.'], opts)).stdout.trim()
    return status === '' ? head : `${head}-dirty.${hash.slice('sha256:'.length)}`
  } catch {
    // Not a checkout, no commit yet, or no git binary: the content hash identifies the set.
    return hash
  }
}
