import { spawn, spawnSync } from 'node:child_process'

/** The psql binary (PSQL overrides); tests that need it skip, saying why, where it is missing. */
export const PSQL = process.env.PSQL ?? 'psql'
export const hasPsql = spawnSync(PSQL, ['--version']).status === 0

export interface PsqlRun { code: number | null; stdout: string; stderr: string }

/** Runs psql with `args`, feeding `input` on stdin; `onStart` gets its pid (to signal it). */
export async function runPsql (args: string[], input: string, env: NodeJS.ProcessEnv, onStart?: (pid: number) => void): Promise<PsqlRun> {
  return await new Promise((resolve, reject) => {
    const child = spawn(PSQL, args, { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.once('error', reject)
    child.once('close', (code) => { resolve({ code, stdout, stderr }) })
    child.stdin.end(input)
    if (child.pid !== undefined) onStart?.(child.pid)
  })
}
