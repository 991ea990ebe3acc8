import { readdir, readFile, realpath, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'

/** The directory under the policy dir that holds policy tests, not rules. */
export const TESTS_DIR = 'tests'

const YAML_FILE = /\.ya?ml$/i

/** A policy file: its path as problems name it, its path relative to the dir, its text. */
export interface PolicyFile { file: string; rel: string; text: string }

/**
 * Every *.yaml / *.yml under `dir`, recursively, sorted by relative path, except `tests/` and
 * hidden entries. Symlinks are followed (a Kubernetes ConfigMap mount is a tree of them; its
 * `..data` indirection is hidden and so read once, through the visible links).
 */
export async function readPolicyFiles (dir: string): Promise<PolicyFile[]> {
  const rels: string[] = []
  await walk(dir, '', rels, new Set([await realpath(dir)]))
  rels.sort()
  return Promise.all(rels.map(async (rel) => ({ file: join(dir, rel), rel: rel.split(sep).join('/'), text: await readFile(join(dir, rel), 'utf8') })))
}

/** `seen` holds the real paths of the directories on the way down, so a symlink loop is walked once. */
async function walk (root: string, rel: string, out: string[], seen: Set<string>): Promise<void> {
  const entries = await readdir(join(root, rel), { withFileTypes: true })
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const childRel = rel === '' ? entry.name : join(rel, entry.name)
    if (rel === '' && entry.name === TESTS_DIR) continue
    const isDir = entry.isSymbolicLink() ? (await stat(join(root, childRel)).catch(() => undefined))?.isDirectory() : entry.isDirectory()
    if (isDir === true) {
      const real = await realpath(join(root, childRel))
      if (seen.has(real)) continue
      await walk(root, childRel, out, new Set([...seen, real]))
    } else if (YAML_FILE.test(entry.name)) out.push(childRel)
  }
}

/** The policy test files: DIR/tests/*.yaml and *.yml, sorted. */
export async function readPolicyTestFiles (dir: string): Promise<PolicyFile[]> {
  const testsDir = join(dir, TESTS_DIR)
  const names = await readdir(testsDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[]
    throw err
  })
  const files = names.filter((n) => YAML_FILE.test(n) && !n.startsWith('.')).sort()
  return Promise.all(files.map(async (n) => {
    const file = join(testsDir, n)
    return { file, rel: relative(dir, file).split(sep).join('/'), text: await readFile(file, 'utf8') }
  }))
}
