import type { ApprovalSpec, CustomRecognizerSpec, Decision, GatewayEvent, LimitSpec, MaskSpec, ProtocolName } from '../events/index.js'
import { EventView, type EntityDetector } from './event-view.js'
import type { RE2JS } from 're2js'
import { anyOf, compileMatch, type EventTest } from './rule-matcher.js'
import { RuleIndex } from './rule-index.js'
import type { RuleSpec } from './rule-schema.js'

/** One immutable compiled rule set. decide() is pure and synchronous. */
export interface PolicySet {
  readonly revision: string
  /** What decides when no rule allows: policies.default. */
  readonly defaultAction: 'allow' | 'deny'
  /** Number of rules in the set (enforce and shadow). */
  readonly ruleCount: number
  /** Custom recognizers declared by mask rules, for the PII engine. */
  readonly recognizers: readonly CustomRecognizerSpec[]
  decide (event: GatewayEvent): Decision
}

interface CompiledRule {
  readonly id: string
  readonly spec: RuleSpec
  readonly test: EventTest
}

const EMPTY: readonly never[] = Object.freeze([])

/** See DESIGN.md "Policy files" and docs/policy.md for the semantics implemented here. */
export class CompiledPolicySet implements PolicySet {
  readonly revision: string
  readonly defaultAction: 'allow' | 'deny'
  readonly ruleCount: number
  readonly recognizers: readonly CustomRecognizerSpec[]
  readonly #byProtocol: Readonly<Record<ProtocolName, { rules: readonly CompiledRule[]; index: RuleIndex }>>
  readonly #detect: EntityDetector | undefined
  readonly #promptFilter: RE2JS | undefined

  constructor (rules: readonly RuleSpec[], opts: { revision: string; defaultAction: 'allow' | 'deny'; detectEntities?: EntityDetector }) {
    this.revision = opts.revision
    this.defaultAction = opts.defaultAction
    this.ruleCount = rules.length
    this.#detect = opts.detectEntities
    // Decisions hand out these very objects: freeze them so no caller can change the set.
    for (const r of rules) for (const spec of [r.mask, r.limit, r.approval]) if (spec !== undefined) deepFreeze(spec)
    this.recognizers = Object.freeze(rules.flatMap((r) => r.mask?.recognizers ?? []))
    const promptPatterns = [...new Set(rules.flatMap((r) => r.match.prompt?.patterns?.map((p) => p.pattern()) ?? []))]
    this.#promptFilter = promptPatterns.length === 0 ? undefined : anyOf(promptPatterns)
    const compiled = rules.map((spec): CompiledRule => ({ id: spec.id, spec, test: compileMatch(spec.match, spec.action === 'allow') }))
    // Rules that name SQL can only match postgres events, LLM/prompt rules only http-llm ones:
    // split once here so decide() never looks at a rule that cannot apply.
    const applies = (r: CompiledRule, p: ProtocolName): boolean => {
      const m = r.spec.match
      if (m.protocol !== undefined) return m.protocol === p
      if (m.sql !== undefined) return p === 'postgres'
      if (m.llm !== undefined || m.prompt !== undefined) return p === 'http-llm'
      return true
    }
    const forProtocol = (p: ProtocolName) => {
      const list = Object.freeze(compiled.filter((r) => applies(r, p)))
      return Object.freeze({ rules: list, index: new RuleIndex(list.map((r) => r.spec.match)) })
    }
    this.#byProtocol = Object.freeze({ postgres: forProtocol('postgres'), 'http-llm': forProtocol('http-llm') })
    Object.freeze(this)
  }

  decide (event: GatewayEvent): Decision {
    const view = new EventView(event, this.#detect, this.recognizers, this.#promptFilter)
    const forProtocol = this.#byProtocol[event.session.protocol]
    const rules = forProtocol?.rules ?? EMPTY
    const candidates = forProtocol?.index.candidates(event) ?? EMPTY
    let denies: CompiledRule[] | undefined
    let approvals: CompiledRule[] | undefined
    let allows: CompiledRule[] | undefined
    const shadow: string[] = []
    const masks: MaskSpec[] = []
    const limits: LimitSpec[] = []
    for (const i of candidates) {
      const rule = rules[i]
      if (!rule.test(view)) continue
      const spec = rule.spec
      if (spec.mode === 'shadow') { shadow.push(rule.id); continue }
      switch (spec.action) {
        case 'deny': (denies ??= []).push(rule); break
        case 'require_approval': (approvals ??= []).push(rule); break
        case 'allow': (allows ??= []).push(rule); break
        case 'mask': masks.push(spec.mask as MaskSpec); break
        case 'rate_limit': limits.push(spec.limit as LimitSpec); break
      }
    }
    const policyRevision = this.revision
    if (denies !== undefined) {
      return { action: 'deny', rules: ids(denies), shadow, masks: [], limits: [], message: messageOf(denies[0], 'denied by policy'), policyRevision }
    }
    if (approvals !== undefined) {
      // Several approval rules: the first one in load order sets who approves; all are named.
      const approval = approvals[0].spec.approval as ApprovalSpec
      return { action: 'require_approval', rules: ids(approvals), shadow, masks, limits, approval, message: messageOf(approvals[0], 'approval required'), policyRevision }
    }
    if (allows !== undefined) {
      const message = allows[0].spec.message
      return { action: 'allow', rules: ids(allows), shadow, masks, limits, ...(message === undefined ? {} : { message }), policyRevision }
    }
    const message = `no rule allowed this request; policies.default is ${this.defaultAction}`
    if (this.defaultAction === 'deny') return { action: 'deny', rules: [], shadow, masks: [], limits: [], message, policyRevision }
    return { action: 'allow', rules: [], shadow, masks, limits, message, policyRevision }
  }
}

function ids (rules: CompiledRule[]): string[] {
  return rules.map((r) => r.id)
}

function messageOf (rule: CompiledRule, fallback: string): string {
  return rule.spec.message ?? `${fallback} (rule ${rule.id})`
}

function deepFreeze (value: object): void {
  for (const v of Object.values(value)) if (typeof v === 'object' && v !== null) deepFreeze(v)
  Object.freeze(value)
}
