import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function sourceFiles (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

t.test('every GH_ error code used in src is documented in docs/errors.md', async (t) => {
  const used = new Set(sourceFiles(join(root, 'src')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/'(GH_[A-Z_]+)'/g)].map((m) => m[1])))
  const documented = new Set([...readFileSync(join(root, 'docs', 'errors.md'), 'utf8').matchAll(/^\| `(GH_[A-Z_]+)` \|/gm)].map((m) => m[1]))
  t.ok(used.size >= 8, 'the scan finds the codes')
  t.same([...used].filter((c) => !documented.has(c)).sort(), [], 'undocumented codes')
  t.same([...documented].filter((c) => !used.has(c)).sort(), [], 'documented codes nothing uses')
})
