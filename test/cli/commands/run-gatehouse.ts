import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../../bin/gatehouse.js', import.meta.url))

export interface CliRun { code: number; stdout: string; stderr: string }

/** Runs `gatehouse ARGS` as a user would, in `cwd`, with an empty stdin. */
export function runGatehouse (cwd: string, args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
    child.stdin?.end()
  })
}
