import { PolicyLoadError } from '../errors.js'
import { detectEntities } from '../pii/index.js'
import { compilePolicySet, type CompileOptions } from './compile.js'
import { readPolicyFiles } from './policy-files.js'
import type { PolicySet } from './policy-set.js'
import { formatProblem } from '../config/index.js'
import { policyRevision } from './revision.js'

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory', ENOTDIR: 'not a directory', EACCES: 'permission denied', ELOOP: 'symlink loop'
}

/** As for compilePolicySet; `detectEntities` defaults to the PII engine's detector here. */
export type LoadOptions = Omit<CompileOptions, 'revision'>

export interface CheckResult {
  set?: PolicySet
  /** How many policy files were read. */
  files: number
  /** Each formatted as `path:line:col: message`. Empty when the set loaded. */
  problems: string[]
}

/** Reads, validates and compiles every policy file under `dir`; never throws for bad files. */
export async function checkPolicyDir (dir: string, opts: LoadOptions): Promise<CheckResult> {
  let files
  try {
    files = await readPolicyFiles(dir)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    return { files: 0, problems: [`${e.path ?? dir}: cannot read policies: ${READ_ERRORS[e.code ?? ''] ?? e.message}`] }
  }
  if (files.length === 0) return { files: 0, problems: [`${dir}: no policy files (*.yaml, *.yml) found`] }
  const revision = await policyRevision(dir, files)
  const { set, problems } = compilePolicySet(files, { ...opts, detectEntities: opts.detectEntities ?? detectEntities, revision })
  return { set, files: files.length, problems: problems.map(formatProblem) }
}

/** Like checkPolicyDir, but a set with problems is a PolicyLoadError listing all of them. */
export async function loadPolicySet (dir: string, opts: LoadOptions): Promise<PolicySet> {
  const { set, problems } = await checkPolicyDir(dir, opts)
  if (set === undefined) throw new PolicyLoadError(problems)
  return set
}
