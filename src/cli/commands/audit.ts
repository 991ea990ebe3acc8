import { relative, isAbsolute } from 'node:path'
import { verifyAuditFile, type ChainHead } from '../../core/audit/index.js'
import { loadConfig } from '../../core/config/index.js'
import type { Command } from '../main.js'

const USAGE = `usage: gatehouse audit verify [FILE...] [--continues] [--config FILE]

Verifies the audit log's hash chain: every line's hash against its content, its prev and seq against
the line before. Prints "ok: N lines", or names the first bad line and why (exit 1).

  FILE         default: the configured audit file sink. Several files are one chain, oldest first
               (rotated logs: gatehouse audit verify audit.log.2 audit.log.1 audit.log)
  --continues  accept a first file that starts after seq 1 (its older files are gone); without it,
               missing lines at the start are reported like any other missing line`

export const command: Command = {
  summary: "verify the audit log's hash chain",
  usage: USAGE,
  options: { continues: { type: 'boolean' } },
  allowPositionals: true,
  async run ({ values, positionals }) {
    const [sub, ...fileArgs] = positionals
    if (sub !== 'verify') {
      process.stderr.write(`${USAGE}\n`)
      return 2
    }
    const fail = (message: string): number => { process.stderr.write(`gatehouse audit verify: ${message}\n`); return 1 }
    let files = fileArgs
    if (files.length === 0) {
      const config = await loadConfig({ file: values.config as string | undefined })
      const sink = config.audit.sinks.find((s) => s.type === 'file')
      if (sink === undefined) return fail('no file sink in audit.sinks; pass the FILE to verify')
      files = [shortPath(sink.path)]
    }
    let after: ChainHead | null | undefined = values.continues === true ? null : undefined
    let lines = 0
    let firstSeq: number | undefined
    for (const file of files) {
      let verdict
      try {
        verdict = await verifyAuditFile(file, { after })
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        return fail(code === 'ENOENT' ? `${file}: no such file` : `${file}: ${(err as Error).message}`)
      }
      if (!verdict.ok) return fail(`${file}:${verdict.line}: ${verdict.reason}`)
      lines += verdict.lines
      firstSeq ??= verdict.firstSeq
      // An empty file leaves the chain where it was.
      after = verdict.head ?? after
    }
    const continues = firstSeq !== undefined && firstSeq > 1 ? ` (continues a chain from seq ${firstSeq - 1})` : ''
    process.stdout.write(`ok: ${lines} lines${continues}\n`)
    return 0
  }
}

/** Paths under the working directory are shown relative, as the user would type them. */
function shortPath (path: string): string {
  const rel = relative(process.cwd(), path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}
