import { isMap, isSeq, type Node } from 'yaml'
import { RE2JS } from 're2js'
import { parseDuration } from '../config/index.js'
import { compileRecognizer } from '../pii/index.js'
import type { ApprovalSpec, CustomRecognizerSpec, LimitSpec, MaskSpec, PolicyAction, ProtocolName } from '../events/index.js'
import { parseRate } from './limits-syntax.js'
import {
  ACTIONS, APPROVAL_KEYS, APPROVAL_SCOPES, APPROVER_KEYS, IDENTITY_KEYS, LIMIT_KEYS, LIMIT_SCOPES, LLM_KEYS,
  MASK_KEYS, MASK_STYLES, MASK_TARGETS, MATCH_KEYS, MODES, PROMPT_KEYS, PROTOCOLS, RECOGNIZER_KEYS, RULE_KEYS,
  SQL_KEYS, SQL_OPERATIONS, VALIDATORS
} from './vocabulary.js'
import { describe, didYouMean, type SourceLocation, type YamlSource } from '../config/index.js'

/** The match block of a rule after validation. Absent keys do not restrict. */
export interface MatchSpec {
  protocol?: ProtocolName
  target?: string[]
  identity?: { sub?: string[]; groups?: string[]; email?: string[] }
  sql?: { operations?: string[]; tables?: string[]; withoutWhere?: boolean; multipleStatements?: boolean }
  llm?: { model?: string[]; route?: string[] }
  prompt?: { patterns?: RE2JS[]; entities?: string[] }
}

/** A validated rule, not yet compiled, with where it was written. */
export interface RuleSpec {
  id: string
  at: SourceLocation
  description?: string
  action: PolicyAction
  mode: 'enforce' | 'shadow'
  message?: string
  match: MatchSpec
  mask?: MaskSpec
  limit?: LimitSpec
  approval?: ApprovalSpec
}

/** An entity name used by a rule; checked once every file's custom recognizers are known. */
export interface EntityReference { name: string; at: SourceLocation }

export interface ReadRule {
  rule?: RuleSpec
  /** Where the id was written, even when the rest of the rule is broken (for duplicate reports). */
  idAt?: SourceLocation
  id?: string
  entities: EntityReference[]
  recognizers: CustomRecognizerSpec[]
}

const ENTITY_NAME = /^[A-Z][A-Z0-9_]*$/
const COLUMN_NAME = /^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*){1,2}$/
const RULE_ID = /^[A-Za-z0-9][\w.:-]*$/
const DEFAULT_APPROVAL_TIMEOUT_MS = 10 * 60_000
/** `(?i)ignore\s+(all\s+)?previous\s+instructions` is 60; `[a-z]{1,100}` is 201. */
export const MAX_PROMPT_PATTERN_INSTRUCTIONS = 1000

/** Compiles an RE2 pattern, reporting what RE2 rejects (backreferences, lookaround, bad syntax). */
export function compileRe2 (src: YamlSource, node: Node, pattern: string, where: string): RE2JS | undefined {
  try {
    return RE2JS.compile(pattern)
  } catch (err) {
    const why = (err as Error).message.replace(/^error parsing regexp: /, '')
    src.problem(node, `${where}: invalid RE2 pattern: ${why} (RE2 has no backreferences or lookaround)`)
    return undefined
  }
}

/**
 * Validates one YAML document as a rule. Problems go to the source; a rule comes back only when the
 * document had none, so a broken rule never half-loads.
 */
export function readRule (src: YamlSource, doc: Node): ReadRule {
  const before = src.problems.length
  const out: ReadRule = { entities: [], recognizers: [] }
  if (!isMap(doc)) {
    src.problem(doc, `a rule must be a mapping with at least id and action, got ${describe(doc)}`)
    return out
  }
  const top = src.entries(doc, 'a rule', RULE_KEYS)
  const idEntry = top.get('id')
  if (idEntry === undefined) src.problem(doc, 'rule has no id')
  else {
    const id = src.string(idEntry.value, 'id')
    if (id !== undefined && !RULE_ID.test(id)) src.problem(idEntry.value, `id '${id}' may hold only letters, digits and . _ : -`)
    else if (id !== undefined) { out.id = id; out.idAt = src.locate(idEntry.value) }
  }
  const where = out.id === undefined ? 'rule' : `rule '${out.id}'`
  const actionEntry = top.get('action')
  if (actionEntry === undefined) src.problem(doc, `${where} has no action (one of ${ACTIONS.join(', ')})`)
  const action = actionEntry === undefined ? undefined : src.oneOf(actionEntry.value, 'action', ACTIONS)
  const modeEntry = top.get('mode')
  const mode = modeEntry === undefined ? 'enforce' : src.oneOf(modeEntry.value, 'mode', MODES)
  const description = optional(top.get('description'), (n) => src.string(n, 'description'))
  const message = optional(top.get('message'), (n) => src.string(n, 'message'))
  const matchEntry = top.get('match')
  const match = matchEntry === undefined ? {} : readMatch(src, matchEntry.value, out.entities)

  // Each action's own block is required with it and meaningless without it.
  const blocks = { mask: 'mask', limit: 'rate_limit', approval: 'require_approval' } as const
  for (const [key, owner] of Object.entries(blocks)) {
    const entry = top.get(key)
    if (action === owner && entry === undefined) src.problem(actionEntry?.value ?? doc, `action ${owner} needs a '${key}' block`)
    if (action !== undefined && action !== owner && entry !== undefined) src.problem(entry.key, `'${key}' applies only to action ${owner}, not ${action}`)
  }
  const id = out.id ?? ''
  const mask = action === 'mask' ? optional(top.get('mask'), (n) => readMask(src, n, id, out)) : undefined
  const limit = action === 'rate_limit' ? optional(top.get('limit'), (n) => readLimit(src, n, id)) : undefined
  const approval = action === 'require_approval' ? optional(top.get('approval'), (n) => readApproval(src, n, id)) : undefined

  if (src.problems.length === before && out.id !== undefined && out.idAt !== undefined && action !== undefined && mode !== undefined) {
    out.rule = { id: out.id, at: out.idAt, description, action, mode, message, match, mask, limit, approval }
  }
  return out
}

function optional<T> (entry: { value: Node | null } | undefined, read: (n: Node | null) => T | undefined): T | undefined {
  return entry === undefined ? undefined : read(entry.value)
}

type Listed = Array<{ value: string; node: Node }> | undefined
const values = (list: Listed): string[] | undefined => list?.map((x) => x.value)

function readMatch (src: YamlSource, node: Node | null, entities: EntityReference[]): MatchSpec {
  const m = src.entries(node, 'match', MATCH_KEYS)
  const spec: MatchSpec = {}
  spec.protocol = optional(m.get('protocol'), (n) => src.oneOf(n, 'match.protocol', PROTOCOLS))
  spec.target = values(optional(m.get('target'), (n) => src.strings(n, 'match.target')))

  const identity = m.get('identity')
  if (identity !== undefined) {
    const i = src.entries(identity.value, 'match.identity', IDENTITY_KEYS)
    spec.identity = {
      sub: values(optional(i.get('sub'), (n) => src.strings(n, 'match.identity.sub'))),
      groups: values(optional(i.get('groups'), (n) => src.strings(n, 'match.identity.groups'))),
      email: values(optional(i.get('email'), (n) => src.strings(n, 'match.identity.email')))
    }
  }

  const sql = m.get('sql')
  if (sql !== undefined) {
    const s = src.entries(sql.value, 'match.sql', SQL_KEYS)
    const operations = optional(s.get('operations'), (n) => src.strings(n, 'match.sql.operations'))
    for (const op of operations ?? []) {
      if (!(SQL_OPERATIONS as readonly string[]).includes(op.value)) {
        src.problem(op.node, `unknown sql operation '${op.value}'${didYouMean(op.value, SQL_OPERATIONS)}`)
      }
    }
    spec.sql = {
      operations: values(operations),
      tables: values(optional(s.get('tables'), (n) => src.strings(n, 'match.sql.tables'))),
      withoutWhere: optional(s.get('without_where'), (n) => src.boolean(n, 'match.sql.without_where')),
      multipleStatements: optional(s.get('multiple_statements'), (n) => src.boolean(n, 'match.sql.multiple_statements'))
    }
  }

  const llm = m.get('llm')
  if (llm !== undefined) {
    const l = src.entries(llm.value, 'match.llm', LLM_KEYS)
    spec.llm = {
      model: values(optional(l.get('model'), (n) => src.strings(n, 'match.llm.model'))),
      route: values(optional(l.get('route'), (n) => src.strings(n, 'match.llm.route')))
    }
  }

  const prompt = m.get('prompt')
  if (prompt !== undefined) {
    const p = src.entries(prompt.value, 'match.prompt', PROMPT_KEYS)
    const patterns = optional(p.get('patterns'), (n) => src.strings(n, 'match.prompt.patterns'))
    const compiled = patterns?.map((x, i) => {
      const where = `match.prompt.patterns[${i}]`
      const re = compileRe2(src, x.node, x.value, where)
      // RE2 scans in time proportional to text length times program size: keep each program small.
      if (re !== undefined && re.programSize() > MAX_PROMPT_PATTERN_INSTRUCTIONS) {
        src.problem(x.node, `${where}: pattern too large (${re.programSize()} RE2 instructions, at most ${MAX_PROMPT_PATTERN_INSTRUCTIONS}); use smaller counted repetitions such as {1,50}`)
        return undefined
      }
      return re
    })
    const named = optional(p.get('entities'), (n) => src.strings(n, 'match.prompt.entities'))
    for (const e of named ?? []) entities.push({ name: e.value, at: src.locate(e.node) })
    spec.prompt = {
      patterns: compiled?.filter((r): r is RE2JS => r !== undefined),
      entities: values(named)
    }
  }

  // A rule about SQL can never see an LLM request and the other way round: say so instead of never matching.
  const hasSql = spec.sql !== undefined
  const hasLlm = spec.llm !== undefined || spec.prompt !== undefined
  if (hasSql && hasLlm) src.problem(node, 'match cannot hold both sql and llm/prompt keys: no request has both')
  if (hasSql && spec.protocol === 'http-llm') src.problem(m.get('sql')?.key, 'match.sql can never match protocol http-llm')
  if (hasLlm && spec.protocol === 'postgres') src.problem((m.get('llm') ?? m.get('prompt'))?.key, 'match.llm/prompt can never match protocol postgres')
  return spec
}

function readMask (src: YamlSource, node: Node | null, rule: string, out: ReadRule): MaskSpec | undefined {
  const m = src.entries(node, 'mask', MASK_KEYS)
  const entities = optional(m.get('entities'), (n) => src.strings(n, 'mask.entities')) ?? []
  for (const e of entities) out.entities.push({ name: e.value, at: src.locate(e.node) })
  const columns = optional(m.get('columns'), (n) => src.strings(n, 'mask.columns')) ?? []
  for (const c of columns) {
    if (!COLUMN_NAME.test(c.value)) src.problem(c.node, `mask.columns entry '${c.value}' must be table.column or schema.table.column`)
  }
  const applyTo = optional(m.get('apply_to'), (n) => src.strings(n, 'mask.apply_to'))
  for (const a of applyTo ?? []) {
    if (!(MASK_TARGETS as readonly string[]).includes(a.value)) {
      src.problem(a.node, `mask.apply_to entries must be request or response, got '${a.value}'${didYouMean(a.value, MASK_TARGETS)}`)
    }
  }
  const style = optional(m.get('style'), (n) => src.oneOf(n, 'mask.style', MASK_STYLES)) ?? 'label'
  const recognizersEntry = m.get('recognizers')
  const recognizers = recognizersEntry === undefined ? undefined : readRecognizers(src, recognizersEntry.value)
  out.recognizers.push(...(recognizers ?? []))
  if (!m.has('entities') && !m.has('columns') && !m.has('recognizers')) {
    src.problem(node, 'mask needs at least one of entities, columns or recognizers')
  }
  // A custom recognizer's entity is masked by the rule that declares it.
  const names = [...new Set([...entities.map((e) => e.value), ...(recognizers ?? []).map((r) => r.entity)])]
  return {
    rule,
    entities: names,
    columns: columns.map((c) => c.value),
    applyTo: (values(applyTo) ?? ['response', 'request']) as MaskSpec['applyTo'],
    style,
    ...(recognizers === undefined ? {} : { recognizers })
  }
}

function readRecognizers (src: YamlSource, node: Node | null): CustomRecognizerSpec[] {
  const out: CustomRecognizerSpec[] = []
  if (!isSeq(node)) {
    src.problem(node, 'mask.recognizers must be a list of {entity, pattern}')
    return out
  }
  for (const [i, item] of (node.items as Array<Node | null>).entries()) {
    const where = `mask.recognizers[${i}]`
    const r = src.entries(item, where, RECOGNIZER_KEYS)
    const entityEntry = r.get('entity')
    const patternEntry = r.get('pattern')
    if (entityEntry === undefined) src.problem(item, `${where} has no entity`)
    if (patternEntry === undefined) src.problem(item, `${where} has no pattern`)
    const entity = optional(entityEntry, (n) => src.string(n, `${where}.entity`))
    if (entity !== undefined && !ENTITY_NAME.test(entity)) src.problem(entityEntry?.value, `${where}.entity '${entity}' must be UPPER_SNAKE_CASE`)
    const pattern = optional(patternEntry, (n) => src.string(n, `${where}.pattern`))
    const compiled = pattern === undefined || patternEntry?.value == null ? undefined : compileRe2(src, patternEntry.value, pattern, `${where}.pattern`)
    const validate = optional(r.get('validate'), (n) => src.oneOf(n, `${where}.validate`, VALIDATORS))
    const context = values(optional(r.get('context'), (n) => src.strings(n, `${where}.context`)))
    const score = optional(r.get('score'), (n) => src.number(n, `${where}.score`, { min: 0, max: 1 }))
    if (entity !== undefined && ENTITY_NAME.test(entity) && pattern !== undefined && compiled !== undefined) {
      const spec = { entity, pattern, ...(validate === undefined ? {} : { validate }), ...(context === undefined ? {} : { context }), ...(score === undefined ? {} : { score }) }
      // The PII engine has its own limits (a bounded match length for streaming); check them now,
      // not when the first prompt is masked.
      try {
        compileRecognizer(spec)
        out.push(spec)
      } catch (err) {
        src.problem(patternEntry?.value, `${where}: ${(err as Error).message}`)
      }
    }
  }
  return out
}

function readLimit (src: YamlSource, node: Node | null, rule: string): LimitSpec | undefined {
  const l = src.entries(node, 'limit', LIMIT_KEYS)
  const rate = (key: 'requests' | 'tokens') => optional(l.get(key), (n) => {
    const text = src.string(n, `limit.${key}`)
    const parsed = text === undefined ? undefined : parseRate(text)
    if (text !== undefined && parsed === undefined) src.problem(n, `limit.${key} '${text}' must be COUNT/WINDOW such as 60/min, 200000/hour or 100/15m`)
    return parsed
  })
  const requests = rate('requests')
  const tokens = rate('tokens')
  const per = optional(l.get('per'), (n) => src.oneOf(n, 'limit.per', LIMIT_SCOPES)) ?? 'user'
  if (!l.has('requests') && !l.has('tokens')) src.problem(node, 'limit needs requests, tokens or both')
  return { rule, ...(requests === undefined ? {} : { requests }), ...(tokens === undefined ? {} : { tokens }), per }
}

function readApproval (src: YamlSource, node: Node | null, rule: string): ApprovalSpec | undefined {
  const a = src.entries(node, 'approval', APPROVAL_KEYS)
  const approversEntry = a.get('approvers')
  if (approversEntry === undefined) src.problem(node, 'approval has no approvers ({groups: [...]} or {sub: [...]})')
  const who = src.entries(approversEntry?.value ?? null, 'approval.approvers', APPROVER_KEYS)
  const groups = values(optional(who.get('groups'), (n) => src.strings(n, 'approval.approvers.groups')))
  const sub = values(optional(who.get('sub'), (n) => src.strings(n, 'approval.approvers.sub')))
  if (approversEntry !== undefined && groups === undefined && sub === undefined) src.problem(approversEntry.value, 'approval.approvers needs groups or sub')
  const quorum = optional(a.get('quorum'), (n) => src.number(n, 'approval.quorum', { min: 1, integer: true })) ?? 1
  const scope = optional(a.get('scope'), (n) => src.oneOf(n, 'approval.scope', APPROVAL_SCOPES)) ?? 'once'
  const duration = (key: 'timeout' | 'wait') => optional(a.get(key), (n) => {
    const text = src.string(n, `approval.${key}`)
    const ms = text === undefined ? undefined : parseDuration(text)
    if (text !== undefined && ms === undefined) src.problem(n, `approval.${key} '${text}' must be a duration such as 30s, 10m or 1h`)
    return ms
  })
  const timeoutMs = duration('timeout') ?? DEFAULT_APPROVAL_TIMEOUT_MS
  const waitMs = duration('wait') ?? 0
  if (waitMs > timeoutMs) src.problem(a.get('wait')?.value, 'approval.wait cannot be longer than approval.timeout')
  return { rule, approvers: { ...(groups === undefined ? {} : { groups }), ...(sub === undefined ? {} : { sub }) }, quorum, scope, timeoutMs, waitMs }
}

