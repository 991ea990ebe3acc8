import { parseArgs, type ParseArgsConfig } from 'node:util'

/** One subcommand: its options for node:util parseArgs, a usage text, and what it does. */
export interface Command {
  summary: string
  usage: string
  options?: ParseArgsConfig['options']
  allowPositionals?: boolean
  run (args: { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] }): Promise<number>
}

/** Each command lives in its own module, loaded only when it runs. */
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  start: () => import('./commands/start.js'),
  policy: () => import('./commands/policy.js'),
  mask: () => import('./commands/mask.js'),
  token: () => import('./commands/token.js'),
  audit: () => import('./commands/audit.js')
}

const GLOBAL_USAGE = `usage: gatehouse <command> [options]

Every command takes --config FILE (default ./gatehouse.yaml; dev-mode defaults when absent) and --help.`

async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const lines = await Promise.all(Object.entries(COMMANDS).map(async ([n, load]) => `  ${n.padEnd(10)} ${(await load()).command.summary}`))
    process.stdout.write(`${GLOBAL_USAGE}\n\ncommands:\n${lines.join('\n')}\n`)
    return name === undefined ? 1 : 0
  }
  const load = COMMANDS[name]
  if (load === undefined) {
    process.stderr.write(`gatehouse: unknown command '${name}' (see gatehouse --help)\n`)
    return 2
  }
  const { command } = await load()
  let parsed
  try {
    parsed = parseArgs({
      args: rest,
      options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...command.options },
      allowPositionals: command.allowPositionals ?? false,
      strict: true
    })
  } catch (err) {
    process.stderr.write(`gatehouse ${name}: ${(err as Error).message}\n${command.usage}\n`)
    return 2
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${command.usage}\n`)
    return 0
  }
  return command.run(parsed)
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (err: unknown) => {
    const e = err as { code?: string; message?: string }
    process.stderr.write(`gatehouse: ${e.code?.startsWith('GH_') === true ? e.message : String(err)}\n`)
    process.exitCode = 1
  }
)
