import type { ProtocolName } from '../events/index.js'
import type { SourceProblem } from '../config/index.js'
import type { MatchSpec, RuleSpec } from './rule-schema.js'

/**
 * Finds enforce rules that can never take effect because an enforce deny rule matches every request
 * they match (deny beats everything, whatever the order). Only deny rules whose match keys can be
 * compared exactly are used (protocol, target, identity, sql.operations, llm.model); for those, a
 * rule is covered when it restricts each of the deny rule's keys to a subset of the deny rule's values.
 */
export function findShadowedRules (rules: readonly RuleSpec[]): SourceProblem[] {
  const problems: SourceProblem[] = []
  const denies = rules.filter((r) => r.action === 'deny' && r.mode === 'enforce' && isComparable(r.match))
  for (const rule of rules) {
    if (rule.action === 'deny' || rule.mode !== 'enforce') continue
    const by = denies.find((d) => covers(d.match, rule.match))
    if (by === undefined) continue
    const where = `${by.at.file}:${by.at.line}:${by.at.col}`
    const what = isEmpty(by.match) ? 'every request' : 'every request this rule matches'
    problems.push({ ...rule.at, message: `rule '${rule.id}' can never take effect: deny rule '${by.id}' (${where}) matches ${what}` })
  }
  return problems
}

function isEmpty (m: MatchSpec): boolean {
  return isComparable(m) && m.protocol === undefined && m.target === undefined && m.identity === undefined &&
    m.sql === undefined && m.llm === undefined
}

function isComparable (m: MatchSpec): boolean {
  return m.prompt === undefined && m.llm?.route === undefined &&
    (m.sql === undefined || (m.sql.tables === undefined && m.sql.withoutWhere === undefined && m.sql.multipleStatements === undefined))
}

function effectiveProtocol (m: MatchSpec): ProtocolName | undefined {
  if (m.protocol !== undefined) return m.protocol
  if (m.sql !== undefined) return 'postgres'
  if (m.llm !== undefined || m.prompt !== undefined) return 'http-llm'
  return undefined
}

/** Whether every value the narrower list allows is allowed by the wider one (an absent list allows all). */
function within (narrower: string[] | undefined, wider: string[] | undefined): boolean {
  if (wider === undefined) return true
  return narrower !== undefined && narrower.every((x) => wider.includes(x))
}

function covers (deny: MatchSpec, rule: MatchSpec): boolean {
  const protocol = effectiveProtocol(deny)
  if (protocol !== undefined && effectiveProtocol(rule) !== protocol) return false
  if (deny.sql !== undefined && rule.sql === undefined) return false
  if (deny.llm !== undefined && rule.llm === undefined && rule.prompt === undefined) return false
  return within(rule.target, deny.target) &&
    within(rule.identity?.sub, deny.identity?.sub) &&
    within(rule.identity?.groups, deny.identity?.groups) &&
    within(rule.identity?.email, deny.identity?.email) &&
    within(rule.sql?.operations, deny.sql?.operations) &&
    within(rule.llm?.model, deny.llm?.model)
}
