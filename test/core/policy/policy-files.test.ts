import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { checkPolicyDir } from '../../../src/core/policy/index.js'

async function tempDir (t: { teardown (fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-policy-files-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('rule files: recursive, .yaml and .yml, not tests/, not hidden, not other extensions', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'team', 'deep'), { recursive: true })
  await mkdir(join(dir, 'tests'))
  await mkdir(join(dir, '.git'))
  await writeFile(join(dir, 'a.yaml'), 'id: a\naction: allow\nmatch: { target: [a] }\n')
  await writeFile(join(dir, 'team', 'deep', 'b.yml'), 'id: b\naction: allow\nmatch: { target: [b] }\n')
  await writeFile(join(dir, 'tests', 'c.yaml'), '- not: a rule\n')
  await writeFile(join(dir, '.git', 'd.yaml'), 'garbage: [\n')
  await writeFile(join(dir, '.swap.yaml'), 'garbage: [\n')
  await writeFile(join(dir, 'a.yaml~'), 'garbage: [\n')
  await writeFile(join(dir, 'README.md'), '# not yaml\n')
  const r = await checkPolicyDir(dir, { defaultAction: 'deny' })
  t.same(r.problems, [])
  t.equal(r.files, 2)
  t.equal(r.set?.ruleCount, 2)
})

t.test('a Kubernetes ConfigMap mount (symlinks through a hidden ..data dir) loads each rule once', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, '..2026_11_25_10_00_00.123'))
  await writeFile(join(dir, '..2026_11_25_10_00_00.123', 'a.yaml'), 'id: a\naction: allow\n')
  await symlink('..2026_11_25_10_00_00.123', join(dir, '..data'))
  await symlink(join('..data', 'a.yaml'), join(dir, 'a.yaml'))
  const r = await checkPolicyDir(dir, { defaultAction: 'deny' })
  t.same(r.problems, [])
  t.equal(r.set?.ruleCount, 1)
})

t.test('a symlink loop is walked once instead of forever', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'sub'))
  await writeFile(join(dir, 'sub', 'a.yaml'), 'id: a\naction: allow\n')
  await symlink('..', join(dir, 'sub', 'up'))
  const r = await checkPolicyDir(dir, { defaultAction: 'deny' })
  t.same(r.problems, [])
  t.equal(r.set?.ruleCount, 1)
})
