import { formatProblem, type SourceProblem, YamlSource, type SourceLocation } from '../config/index.js'
import { isSeq, type Node } from 'yaml'
import type { Decision } from '../events/index.js'
import { readPolicyTestFiles } from './policy-files.js'
import type { PolicySet } from './policy-set.js'
import { readTestEvent, type SqlAnalyzer } from './test-event.js'

const CASE_KEYS = ['name', 'event', 'expect'] as const
const EXPECT_KEYS = ['action', 'rules', 'shadow', 'masks', 'limits', 'message'] as const
const DECISION_ACTIONS = ['allow', 'deny', 'require_approval'] as const

/** What a test case expects; absent fields are not compared. Lists compare as sets. */
interface Expectation {
  action: Decision['action']
  rules?: string[]
  shadow?: string[]
  masks?: string[]
  limits?: string[]
  message?: string
}

export interface PolicyTestResult {
  name: string
  at: SourceLocation
  passed: boolean
  /** One line per field that differed: `rules: expected [a], got [b]`. */
  failures: string[]
  decision: Decision
}

export interface PolicyTestReport {
  results: PolicyTestResult[]
  /** Broken test files or cases, as `path:line:col: message`; a broken case counts as failed. */
  problems: string[]
  passed: number
  failed: number
}

/**
 * Runs DIR/tests/*.yaml against a compiled set: each case's event is built like a plugin would
 * build it, decided, and compared with its expectation.
 */
export async function runPolicyTests (dir: string, set: PolicySet, opts: { analyzeSql: SqlAnalyzer }): Promise<PolicyTestReport> {
  const problems: SourceProblem[] = []
  const results: PolicyTestResult[] = []
  let broken = 0
  for (const file of await readPolicyTestFiles(dir)) {
    const src = new YamlSource(file.file, file.text, problems)
    for (const doc of src.documents()) {
      if (doc === null) continue
      if (!isSeq(doc)) {
        src.problem(doc, 'a policy test file must be a list of {name, event, expect}')
        continue
      }
      for (const item of doc.items as Array<Node | null>) {
        const before = problems.length
        const result = runCase(src, item, set, opts.analyzeSql, `${results.length + broken + 1}`)
        if (result !== undefined) results.push(result)
        else if (problems.length > before) broken++
      }
    }
  }
  const failed = results.filter((r) => !r.passed).length + broken
  return { results, problems: problems.map(formatProblem), passed: results.length - results.filter((r) => !r.passed).length, failed }
}

function runCase (src: YamlSource, node: Node | null, set: PolicySet, analyzeSql: SqlAnalyzer, id: string): PolicyTestResult | undefined {
  const before = src.problems.length
  const c = src.entries(node, 'a test case', CASE_KEYS)
  for (const key of CASE_KEYS) if (!c.has(key) && src.problems.length === before) src.problem(node, `test case has no ${key}`)
  const name = c.has('name') ? src.string(c.get('name')?.value ?? null, 'name') : undefined
  const event = c.has('event') ? readTestEvent(src, c.get('event')?.value ?? null, analyzeSql, id) : undefined
  const expect = c.has('expect') ? readExpectation(src, c.get('expect')?.value ?? null) : undefined
  if (src.problems.length > before || name === undefined || event === undefined || expect === undefined) return undefined

  const decision = set.decide(event)
  const failures: string[] = []
  if (decision.action !== expect.action) failures.push(`action: expected ${expect.action}, got ${decision.action}`)
  compareSet(failures, 'rules', expect.rules, decision.rules)
  compareSet(failures, 'shadow', expect.shadow, decision.shadow)
  compareSet(failures, 'masks', expect.masks, decision.masks.map((m) => m.rule))
  compareSet(failures, 'limits', expect.limits, decision.limits.map((l) => l.rule))
  if (expect.message !== undefined && decision.message !== expect.message) {
    failures.push(`message: expected ${JSON.stringify(expect.message)}, got ${JSON.stringify(decision.message ?? null)}`)
  }
  return { name, at: src.locate(node), passed: failures.length === 0, failures, decision }
}

function readExpectation (src: YamlSource, node: Node | null): Expectation | undefined {
  const e = src.entries(node, 'expect', EXPECT_KEYS)
  if (!e.has('action')) {
    src.problem(node, 'expect has no action')
    return undefined
  }
  const action = src.oneOf(e.get('action')?.value ?? null, 'expect.action', DECISION_ACTIONS)
  // An empty list is a real expectation here: "no rules".
  const list = (key: 'rules' | 'shadow' | 'masks' | 'limits'): string[] | undefined => {
    const entry = e.get(key)
    return entry === undefined ? undefined : src.strings(entry.value, `expect.${key}`, true)?.map((x) => x.value)
  }
  const message = e.has('message') ? src.string(e.get('message')?.value ?? null, 'expect.message') : undefined
  if (action === undefined) return undefined
  return { action, rules: list('rules'), shadow: list('shadow'), masks: list('masks'), limits: list('limits'), ...(message === undefined ? {} : { message }) }
}

function compareSet (failures: string[], field: string, expected: string[] | undefined, got: string[]): void {
  if (expected === undefined) return
  const want = [...new Set(expected)].sort()
  const have = [...new Set(got)].sort()
  if (want.length !== have.length || want.some((x, i) => x !== have[i])) {
    failures.push(`${field}: expected [${want.join(', ')}], got [${have.join(', ')}]`)
  }
}
