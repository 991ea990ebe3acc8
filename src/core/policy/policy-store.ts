import { watch, type FSWatcher } from 'node:fs'
import type { AuditLog } from '../audit/index.js'
import { PolicyLoadError } from '../errors.js'
import type { Logger } from '../log/index.js'
import type { EntityDetector } from './event-view.js'
import { checkPolicyDir } from './load.js'
import type { PolicySet } from './policy-set.js'
import { runPolicyTests } from './policy-tests.js'
import type { SqlAnalyzer } from './test-event.js'

/** Holds the current set; hot reload swaps it atomically. */
export interface PolicyStore {
  /** The set to decide with. Keep the object for the whole request: a reload never changes it. */
  current (): PolicySet
  /** Re-reads the dir now (SIGHUP). Never throws: a bad set is reported and the last good one kept. */
  reload (): Promise<ReloadResult>
  status (): PolicyStatus
  close (): Promise<void>
}

export type ReloadResult = { ok: true; revision: string } | { ok: false; problems: string[] }

/** For the admin API. */
export interface PolicyStatus {
  revision: string
  loadedAt: Date
  rules: number
  /** Problems of the last reload when it failed; cleared by the next good one. */
  lastError?: string[]
}

export interface PolicyStoreOptions {
  dir: string
  defaultAction: 'allow' | 'deny'
  /** Run DIR/tests before accepting a set (at start-up too); a failing or missing suite rejects it. */
  reloadRequiresTests: boolean
  log: Logger
  /** Receives policy_reload / policy_reload_failed system events. */
  audit?: Pick<AuditLog, 'system'>
  analyzeSql: SqlAnalyzer
  detectEntities?: EntityDetector
  knownEntities?: Iterable<string>
  /** Watch the dir and reload on change (default true). */
  watch?: boolean
  /** Quiet time after the last change before reloading (default 150 ms). */
  debounceMs?: number
}

const DEFAULT_DEBOUNCE_MS = 150

/** Loads the policy dir; throws PolicyLoadError (every problem) when the first load fails. */
export async function createPolicyStore (opts: PolicyStoreOptions): Promise<PolicyStore> {
  const first = await loadChecked(opts)
  if (first.set === undefined) throw new PolicyLoadError(first.problems)
  const store = new WatchedPolicyStore(opts, first.set)
  if (opts.watch ?? true) store.watch()
  opts.log.info({ dir: opts.dir, revision: first.set.revision, rules: first.set.ruleCount }, 'policies loaded')
  return store
}

/** Validates and compiles the dir, then (when required) runs its tests against the new set. */
async function loadChecked (opts: PolicyStoreOptions): Promise<{ set?: PolicySet; problems: string[] }> {
  const { set, problems } = await checkPolicyDir(opts.dir, opts)
  if (set === undefined || !opts.reloadRequiresTests) return { set, problems }
  const report = await runPolicyTests(opts.dir, set, { analyzeSql: opts.analyzeSql })
  const failures = [
    ...report.problems,
    ...report.results.filter((r) => !r.passed).map((r) => `${r.at.file}:${r.at.line}:${r.at.col}: test '${r.name}' failed: ${r.failures.join('; ')}`)
  ]
  if (report.passed + report.failed === 0) failures.push(`${opts.dir}: policies.reload_requires_tests is set but there are no policy tests`)
  return failures.length === 0 ? { set, problems: [] } : { problems: failures }
}

class WatchedPolicyStore implements PolicyStore {
  readonly #opts: PolicyStoreOptions
  #set: PolicySet
  #loadedAt = new Date()
  #lastError: string[] | undefined
  #watcher: FSWatcher | undefined
  #timer: NodeJS.Timeout | undefined
  /** The reload that has not started yet; later requests join it instead of queueing more. */
  #queued: Promise<ReloadResult> | undefined
  #tail: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor (opts: PolicyStoreOptions, set: PolicySet) {
    this.#opts = opts
    this.#set = set
  }

  current (): PolicySet {
    return this.#set
  }

  status (): PolicyStatus {
    return { revision: this.#set.revision, loadedAt: this.#loadedAt, rules: this.#set.ruleCount, ...(this.#lastError === undefined ? {} : { lastError: [...this.#lastError] }) }
  }

  /** Watching is best effort (inotify limits, odd filesystems): without it, reload() still works. */
  watch (): void {
    const failed = (err: unknown): void => this.#opts.log.error({ err, dir: this.#opts.dir }, 'policy dir watch failed; use reload (SIGHUP) to apply changes')
    try {
      this.#watcher = watch(this.#opts.dir, { recursive: true, persistent: false }, () => this.#schedule())
      this.#watcher.on('error', failed)
    } catch (err) {
      failed(err)
    }
  }

  #schedule (): void {
    if (this.#closed) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => { void this.reload() }, this.#opts.debounceMs ?? DEFAULT_DEBOUNCE_MS)
  }

  reload (): Promise<ReloadResult> {
    // One reload at a time, each reading the whole dir; a burst of requests while one runs
    // collapses into one more, which sees the final state.
    if (this.#queued !== undefined) return this.#queued
    const next = this.#tail.then(() => {
      this.#queued = undefined
      return this.#reloadNow()
    })
    this.#queued = next
    this.#tail = next.catch(() => undefined)
    return next
  }

  async #reloadNow (): Promise<ReloadResult> {
    const { log } = this.#opts
    const previous = this.#set.revision
    let result: { set?: PolicySet; problems: string[] }
    try {
      result = await loadChecked(this.#opts)
    } catch (err) {
      result = { problems: [`${this.#opts.dir}: ${(err as Error).message}`] }
    }
    if (this.#closed) return result.set === undefined ? { ok: false, problems: result.problems } : { ok: true, revision: result.set.revision }
    if (result.set === undefined) {
      this.#lastError = result.problems
      log.error({ problems: result.problems, kept: previous }, `policy reload failed (${result.problems.length} problems); keeping revision ${previous}`)
      this.#audit('policy_reload_failed', { dir: this.#opts.dir, problems: result.problems, kept: previous })
      return { ok: false, problems: result.problems }
    }
    this.#set = result.set
    this.#loadedAt = new Date()
    this.#lastError = undefined
    log.info({ revision: result.set.revision, previous, rules: result.set.ruleCount }, 'policies reloaded')
    this.#audit('policy_reload', { dir: this.#opts.dir, revision: result.set.revision, previous, rules: result.set.ruleCount })
    return { ok: true, revision: result.set.revision }
  }

  /** A failing audit sink must not turn a reload (often run from a timer) into an unhandled rejection. */
  #audit (kind: 'policy_reload' | 'policy_reload_failed', data: Record<string, unknown>): void {
    try {
      this.#opts.audit?.system(kind, data)
    } catch (err) {
      this.#opts.log.error({ err, kind }, 'could not write the policy reload audit event')
    }
  }

  async close (): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#watcher?.close()
    await this.#tail.catch(() => undefined)
  }
}
