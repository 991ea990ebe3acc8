/**
 * The policy room: policy files -> one immutable compiled rule set -> decide(event); hot reload;
 * policy tests. See DESIGN.md "Policy files" and docs/policy.md.
 */
export type { PolicySet } from './policy-set.js'
export { createPolicyStore, type PolicyStore, type PolicyStoreOptions, type PolicyStatus, type ReloadResult } from './policy-store.js'
export { compilePolicySet, type CompileOptions, type CompileResult, type PolicySource } from './compile.js'
export { checkPolicyDir, loadPolicySet, type CheckResult, type LoadOptions } from './load.js'
export { runPolicyTests, type PolicyTestReport, type PolicyTestResult } from './policy-tests.js'
export { parseTestEvent, type SqlAnalyzer } from './test-event.js'
export { policyRevision, contentRevision } from './revision.js'
export type { EntityDetector } from './event-view.js'
export { SQL_OPERATIONS } from './vocabulary.js'
