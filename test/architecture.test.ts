import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src')

function sourceFiles (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** Relative imports of a file, resolved to repository paths (`.js` specifiers name `.ts` sources). */
function importsOf (file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1] ?? m[2])
  return specs.map((s) => relative(root, resolve(dirname(file), s.replace(/\.js$/, '.ts'))))
}

/** `src/core/<room>/...` -> room, `src/core/errors.ts` -> undefined. */
function coreRoom (path: string): string | undefined {
  const parts = path.split(sep)
  return parts[0] === 'src' && parts[1] === 'core' && parts.length > 3 ? parts[2] : undefined
}

t.test('core never imports a protocol, and rooms are entered only through index.ts', async (t) => {
  const violations: string[] = []
  for (const file of sourceFiles(src)) {
    const from = relative(root, file)
    const fromRoom = coreRoom(from)
    for (const target of importsOf(file)) {
      if (from.startsWith(`src${sep}core`) && target.startsWith(`src${sep}protocols`)) violations.push(`${from} -> ${target} (core imports a protocol)`)
      const room = coreRoom(target)
      if (room !== undefined && room !== fromRoom && !target.endsWith(`${sep}index.ts`)) {
        violations.push(`${from} -> ${target} (reaches inside core/${room}; import its index.ts)`)
      }
    }
  }
  t.same(violations, [])
})

t.test('the scanner sees imports (guards against a check that passes vacuously)', async (t) => {
  const seen = sourceFiles(src).flatMap(importsOf)
  t.ok(seen.some((p) => p === join('src', 'core', 'events', 'index.ts')), 'events/index.ts is imported somewhere')
  t.ok(seen.length > 50)
})
