import { relative, isAbsolute } from 'node:path'
import { verifyAuditFile } from '../../core/audit/index.js'
import { loadConfig } from '../../core/config/index.js'
import type { Command } from '../main.js'

const USAGE = `usage: gatehouse audit verify [FILE] [--config FILE]

Verifies the audit log's hash chain: every line's hash against its content, its prev against the line
before, its seq against the one before. Prints "ok: N lines", or names the first bad line and why
(exit 1). FILE defaults to the configured audit file sink.`

export const command: Command = {
  summary: "verify the audit log's hash chain",
  usage: USAGE,
  allowPositionals: true,
  async run ({ values, positionals }) {
    const [sub, fileArg, ...extra] = positionals
    if (sub !== 'verify' || extra.length > 0) {
      process.stderr.write(`${USAGE}\n`)
      return 2
    }
    const fail = (message: string): number => { process.stderr.write(`gatehouse audit verify: ${message}\n`); return 1 }
    let file = fileArg
    if (file === undefined) {
      const config = await loadConfig({ file: values.config as string | undefined })
      const sink = config.audit.sinks.find((s) => s.type === 'file')
      if (sink === undefined) return fail('no file sink in audit.sinks; pass the FILE to verify')
      file = shortPath(sink.path)
    }
    let verdict
    try {
      verdict = await verifyAuditFile(file)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      return fail(code === 'ENOENT' ? `${file}: no such file` : `${file}: ${(err as Error).message}`)
    }
    if (!verdict.ok) return fail(`${file}:${verdict.line}: ${verdict.reason}`)
    const continues = verdict.firstSeq !== undefined && verdict.firstSeq > 1 ? ` (continues a chain from seq ${verdict.firstSeq - 1})` : ''
    process.stdout.write(`ok: ${verdict.lines} lines${continues}\n`)
    return 0
  }
}

/** Paths under the working directory are shown relative, as the user would type them. */
function shortPath (path: string): string {
  const rel = relative(process.cwd(), path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}
