/** One mistake in a policy or policy-test file, where it is. */
export interface PolicyProblem {
  file: string
  line: number
  col: number
  message: string
}

/** `path:line:col: message`, the shape editors and CI annotate. */
export function formatProblem (p: PolicyProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`
}

/** Problems in reading order: by file, then line, then column. */
export function sortProblems (problems: PolicyProblem[]): PolicyProblem[] {
  return problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col))
}
