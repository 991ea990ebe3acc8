import { sortProblems, type SourceProblem, didYouMean, YamlSource, type SourceLocation } from '../config/index.js'
import { BUILTIN_ENTITIES } from '../pii/index.js'
import type { EntityDetector } from './event-view.js'
import { CompiledPolicySet } from './policy-set.js'
import { readRule, type EntityReference, type RuleSpec } from './rule-schema.js'
import { findShadowedRules } from './shadowing.js'

/** One policy file's text, named as problems should name it. */
export interface PolicySource { file: string; text: string }

export interface CompileOptions {
  /** policies.default: what decides when no rule allows. */
  defaultAction: 'allow' | 'deny'
  /** Stamped on every decision; see loadPolicySet for how it is computed from a directory. */
  revision: string
  /** Finds PII types in prompt text for match.prompt.entities. Without it those facts are unknown. */
  detectEntities?: EntityDetector
  /** Entity names the PII engine knows; defaults to its BUILTIN_ENTITIES. Custom recognizers add theirs. */
  knownEntities?: Iterable<string>
}

export interface CompileResult {
  /** Present only when there were no problems. */
  set?: CompiledPolicySet
  problems: SourceProblem[]
}

/**
 * Validates and compiles policy files into one rule set, reporting every problem in every file
 * (syntax, keys, types, duplicate ids, unknown names, regexes, shadowed rules) at once.
 * Rule order is the order of `sources`, then of documents within a file.
 */
export function compilePolicySet (sources: readonly PolicySource[], opts: CompileOptions): CompileResult {
  const problems: SourceProblem[] = []
  const rules: RuleSpec[] = []
  const references: EntityReference[] = []
  const known = new Set<string>(opts.knownEntities ?? BUILTIN_ENTITIES)
  const firstById = new Map<string, SourceLocation>()

  for (const source of sources) {
    const yaml = new YamlSource(source.file, source.text, problems)
    for (const doc of yaml.documents()) {
      if (doc === null) continue // an empty document (a trailing ---) holds no rule
      const read = readRule(yaml, doc)
      references.push(...read.entities)
      for (const r of read.recognizers) known.add(r.entity)
      if (read.id !== undefined && read.idAt !== undefined) {
        const first = firstById.get(read.id)
        if (first !== undefined) {
          problems.push({ ...read.idAt, message: `duplicate rule id '${read.id}': first defined at ${first.file}:${first.line}:${first.col}` })
          continue
        }
        firstById.set(read.id, read.idAt)
      }
      if (read.rule !== undefined) rules.push(read.rule)
    }
  }

  const knownList = [...known]
  for (const ref of references) {
    if (!known.has(ref.name)) {
      // Entity names are often written without their qualifier (SSN for US_SSN): suggest those too.
      const qualified = knownList.find((k) => k.endsWith(`_${ref.name}`) || k.startsWith(`${ref.name}_`))
      const hint = qualified === undefined ? didYouMean(ref.name, knownList) : ` (did you mean '${qualified}'?)`
      problems.push({ ...ref.at, message: `unknown entity '${ref.name}'${hint}; known: ${knownList.join(', ')}` })
    }
  }
  problems.push(...findShadowedRules(rules))

  if (problems.length > 0) return { problems: sortProblems(problems) }
  return { set: new CompiledPolicySet(rules, opts), problems }
}
