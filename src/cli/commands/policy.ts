import { readFile } from 'node:fs/promises'
import { isAbsolute, relative } from 'node:path'
import { text as readStream } from 'node:stream/consumers'
import { loadConfig } from '../../core/config/index.js'
import type { Decision } from '../../core/events/index.js'
import { checkPolicyDir, parseTestEvent, runPolicyTests, type PolicySet, type SqlAnalyzer } from '../../core/policy/index.js'
import { createSqlAnalyzer } from '../../protocols/postgres/sql/index.js'
import type { Command } from '../main.js'

const USAGE = `usage: gatehouse policy check [DIR]
       gatehouse policy test [DIR]
       gatehouse policy explain [--dir DIR] [--event FILE] [--json]

  check    validate the policy files; every problem as path:line:col: message (exit 1 if any)
  test     run DIR/tests/*.yaml; each failure with expected vs got, then "N passed, N failed"
           (exit 1 on a failure or when there are no tests)
  explain  decide one event (JSON or YAML in the policy-test event shape; stdin by default)

DIR defaults to the configured policies.dir (./policies in dev mode).`

interface Context { dir: string; defaultAction: 'allow' | 'deny'; analyzeSql: SqlAnalyzer }

export const command: Command = {
  summary: 'check, test and explain policy files',
  usage: USAGE,
  options: { dir: { type: 'string' }, event: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  async run ({ values, positionals }) {
    const [sub, dirArg, ...extra] = positionals
    const explicitDir = sub === 'explain' ? values.dir as string | undefined : dirArg
    if (sub === undefined || !['check', 'test', 'explain'].includes(sub) || extra.length > 0 || (sub === 'explain' && dirArg !== undefined)) {
      process.stderr.write(`${USAGE}\n`)
      return 2
    }
    const config = await loadConfig({ file: values.config as string | undefined })
    const dir = explicitDir ?? shortPath(config.policies.dir)
    const analyzer = await createSqlAnalyzer()
    const ctx: Context = { dir, defaultAction: config.policies.default, analyzeSql: (text) => analyzer.analyze(text) }
    if (sub === 'check') return check(ctx)
    if (sub === 'test') return test(ctx)
    return explain(ctx, values.event as string | undefined, values.json === true)
  }
}

/** A configured (absolute) dir as the user would type it from here. */
function shortPath (dir: string): string {
  const rel = relative(process.cwd(), dir)
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? dir : rel
}

async function load (ctx: Context): Promise<PolicySet | undefined> {
  const { set, problems } = await checkPolicyDir(ctx.dir, { defaultAction: ctx.defaultAction })
  for (const p of problems) process.stderr.write(`${p}\n`)
  return set
}

async function check (ctx: Context): Promise<number> {
  const { set, files, problems } = await checkPolicyDir(ctx.dir, { defaultAction: ctx.defaultAction })
  for (const p of problems) process.stderr.write(`${p}\n`)
  if (set === undefined) {
    process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${ctx.dir}\n`)
    return 1
  }
  process.stdout.write(`OK: ${set.ruleCount} rules in ${files} files, revision ${set.revision}\n`)
  return 0
}

async function test (ctx: Context): Promise<number> {
  const set = await load(ctx)
  if (set === undefined) return 1
  const report = await runPolicyTests(ctx.dir, set, { analyzeSql: ctx.analyzeSql })
  for (const p of report.problems) process.stderr.write(`${p}\n`)
  for (const r of report.results) {
    if (r.passed) continue
    process.stdout.write(`FAIL ${r.at.file}:${r.at.line}:${r.at.col}: ${r.name}\n`)
    for (const f of r.failures) process.stdout.write(`  ${f}\n`)
    if (r.decision.message !== undefined) process.stdout.write(`  (decision message: ${r.decision.message})\n`)
  }
  if (report.passed + report.failed === 0) process.stderr.write(`no policy tests in ${ctx.dir}/tests (*.yaml)\n`)
  process.stdout.write(`${report.passed} passed, ${report.failed} failed\n`)
  return report.failed === 0 && report.passed > 0 ? 0 : 1
}

async function explain (ctx: Context, eventFile: string | undefined, asJson: boolean): Promise<number> {
  let text: string
  try {
    text = eventFile === undefined ? await readStream(process.stdin) : await readFile(eventFile, 'utf8')
  } catch (err) {
    process.stderr.write(`gatehouse policy explain: cannot read ${eventFile ?? 'stdin'}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`)
    return 1
  }
  const { event, problems } = parseTestEvent(eventFile ?? '<stdin>', text, ctx.analyzeSql)
  for (const p of problems) process.stderr.write(`${p}\n`)
  if (event === undefined) return 1
  const set = await load(ctx)
  if (set === undefined) return 1
  const decision = set.decide(event)
  if (asJson) {
    process.stdout.write(`${JSON.stringify(decision, null, 2)}\n`)
    return 0
  }
  process.stdout.write(describeDecision(decision))
  if (event.sql !== undefined) {
    const statements = event.sql.statements.map((s) => `${s.operation}${s.tables.length > 0 ? ` ${s.tables.map((t) => `${t.schema === undefined ? '' : `${t.schema}.`}${t.name}(${t.access})`).join(' ')}` : ''}`)
    process.stdout.write(`sql:      ${statements.join('; ')}\n`)
  }
  return 0
}

function describeDecision (d: Decision): string {
  const list = (xs: string[]): string => (xs.length === 0 ? '-' : xs.join(', '))
  const lines = [
    `action:   ${d.action}`,
    `rules:    ${list(d.rules)}`,
    ...(d.message === undefined ? [] : [`message:  ${d.message}`]),
    `shadow:   ${list(d.shadow)}`,
    `masks:    ${list(d.masks.map((m) => `${m.rule} (${[...m.entities, ...m.columns].join(' ')}; ${m.style}; ${m.applyTo.join('+')})`))}`,
    `limits:   ${list(d.limits.map((l) => `${l.rule} (${[l.requests === undefined ? '' : `requests ${rate(l.requests)}`, l.tokens === undefined ? '' : `tokens ${rate(l.tokens)}`].filter((x) => x !== '').join(', ')} per ${l.per})`))}`,
    ...(d.approval === undefined
      ? []
      : [`approval: ${d.approval.rule} (approvers ${[...(d.approval.approvers.groups ?? []).map((g) => `group ${g}`), ...(d.approval.approvers.sub ?? [])].join(', ')}; quorum ${d.approval.quorum}; scope ${d.approval.scope}; timeout ${d.approval.timeoutMs / 1000}s; wait ${d.approval.waitMs / 1000}s)`]),
    `revision: ${d.policyRevision}`
  ]
  return `${lines.join('\n')}\n`
}

function rate (r: { count: number; windowMs: number }): string {
  return `${r.count}/${r.windowMs % 3_600_000 === 0 ? `${r.windowMs / 3_600_000}h` : r.windowMs % 60_000 === 0 ? `${r.windowMs / 60_000}m` : `${r.windowMs / 1000}s`}`
}
