import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { text as readAll } from 'node:stream/consumers'
import { loadConfig } from '../../core/config/index.js'
import type { CustomRecognizerSpec } from '../../core/events/index.js'
import { checkPolicyDir } from '../../core/policy/index.js'
import { BUILTIN_ENTITIES, createMasker, createStreamMasker, type Masker } from '../../core/pii/index.js'
import type { Command } from '../main.js'

const USAGE = `usage: gatehouse mask [--entities E,..] [--json] [--jsonl] [--config FILE]

Masks PII in stdin with the built-in recognizers plus the custom ones declared in the configured
policies, labels style ([EMAIL]).

  (default)   masked text to stdout, streamed as it is read
  --json      one object: {"masked": "..", "findings": [{"type","start","end","score"}]}
  --jsonl     each input line {"id": .., "text": ".."} gives one output line
              {"id": .., "masked": "..", "findings": [..]}; a malformed line is reported on stderr
              with its line number and skipped, and the exit status is then 1
  --entities  only these built-in types (${BUILTIN_ENTITIES.join(', ')})

Offsets are JS string indices (UTF-16 code units) into the input text.`

/** Writes, waiting when stdout's buffer is full so large inputs stream in bounded memory. */
async function write (s: string): Promise<void> {
  if (s !== '' && !process.stdout.write(s)) await once(process.stdout, 'drain')
}

/** The reader went away (`gatehouse mask < big | head`): stop quietly, as other filters do. */
function exitOnClosedStdout (): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(0)
  })
}

/** Custom recognizers of the configured policy set; without a loadable set, none (and a warning). */
async function policyRecognizers (configFile: string | undefined): Promise<readonly CustomRecognizerSpec[]> {
  const config = await loadConfig({ file: configFile })
  const { set, problems } = await checkPolicyDir(config.policies.dir, { defaultAction: config.policies.default })
  if (set === undefined) {
    process.stderr.write(`gatehouse mask: policies not loaded, using built-in recognizers only (${problems[0] ?? 'no policies'})\n`)
    return []
  }
  return set.recognizers
}

async function maskJsonl (masker: Masker): Promise<number> {
  let lineNo = 0
  let bad = 0
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    lineNo++
    if (line.trim() === '') continue
    let item: unknown
    try {
      item = JSON.parse(line)
    } catch {
      // The parser's message quotes the line, which may hold the very PII being masked.
      process.stderr.write(`gatehouse mask: line ${lineNo}: not valid JSON\n`)
      bad++
      continue
    }
    if (typeof item !== 'object' || item === null || Array.isArray(item) || typeof (item as { text?: unknown }).text !== 'string') {
      process.stderr.write(`gatehouse mask: line ${lineNo}: expected an object {"id": .., "text": "<string>"}\n`)
      bad++
      continue
    }
    const { id, text } = item as { id?: unknown; text: string }
    const { masked, findings } = masker.mask(text)
    await write(JSON.stringify({ id: id ?? null, masked, findings }) + '\n')
  }
  return bad === 0 ? 0 : 1
}

async function maskStream (masker: Masker): Promise<number> {
  const stream = createStreamMasker(masker)
  process.stdin.setEncoding('utf8')
  for await (const chunk of process.stdin) await write(stream.push(chunk as string))
  await write(stream.end())
  return 0
}

export const command: Command = {
  summary: 'mask PII in text from stdin',
  usage: USAGE,
  options: { entities: { type: 'string' }, json: { type: 'boolean' }, jsonl: { type: 'boolean' } },
  async run ({ values }) {
    if (values.json === true && values.jsonl === true) {
      process.stderr.write(`gatehouse mask: --json and --jsonl cannot be combined\n${USAGE}\n`)
      return 2
    }
    const entities = typeof values.entities === 'string' ? values.entities.split(',').map((e) => e.trim().toUpperCase()).filter((e) => e !== '') : undefined
    const unknown = (entities ?? []).filter((e) => !(BUILTIN_ENTITIES as readonly string[]).includes(e))
    if (unknown.length > 0) {
      process.stderr.write(`gatehouse mask: unknown entity ${unknown.join(', ')} (known: ${BUILTIN_ENTITIES.join(', ')})\n`)
      return 2
    }
    exitOnClosedStdout()
    const custom = await policyRecognizers(values.config as string | undefined)
    const masker = createMasker({ style: 'label', entities, custom })
    if (values.jsonl === true) return maskJsonl(masker)
    if (values.json === true) {
      await write(JSON.stringify(masker.mask(await readAll(process.stdin))) + '\n')
      return 0
    }
    return maskStream(masker)
  }
}
