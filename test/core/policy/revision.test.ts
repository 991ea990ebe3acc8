import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadPolicySet } from '../../../src/core/policy/index.js'

const RULE = 'id: a\naction: allow\n'
const hasGit = (() => {
  try { execFileSync('git', ['--version']); return true } catch { return false }
})()

async function tempDir (t: { teardown (fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-policy-rev-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const revision = async (dir: string): Promise<string> => (await loadPolicySet(dir, { defaultAction: 'deny' })).revision

t.test('outside a git checkout the revision is a hash of file names and contents', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'a.yaml'), RULE)
  const first = await revision(dir)
  t.match(first, /^sha256:[0-9a-f]{16}$/)
  t.equal(await revision(dir), first, 'stable for the same files')
  await writeFile(join(dir, 'a.yaml'), `${RULE}# a comment\n`)
  const edited = await revision(dir)
  t.not(edited, first, 'changes with the contents')
  await writeFile(join(dir, 'a.yaml'), `${RULE}# a comment\n`.replace('# a comment\n', ''))
  await mkdir(join(dir, 'sub'))
  await writeFile(join(dir, 'sub', 'b.yaml'), '')
  t.not(await revision(dir), first, 'changes with the set of file names')
})

t.test('in a git checkout the revision is the commit, marked dirty with a content hash', { skip: !hasGit && 'git is not installed' }, async (t) => {
  const repo = await tempDir(t)
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' }).trim()
  git('init', '-q')
  const dir = join(repo, 'policies')
  await mkdir(dir)
  await writeFile(join(dir, 'a.yaml'), RULE)
  t.match(await revision(dir), /^sha256:/, 'no commit yet: content hash')
  git('add', '.')
  git('commit', '-qm', 'policies')
  const head = git('rev-parse', 'HEAD')
  t.equal(await revision(dir), head, 'clean checkout: the commit')

  await writeFile(join(dir, 'a.yaml'), `${RULE}message: changed\n`)
  const dirty = await revision(dir)
  t.match(dirty, new RegExp(`^${head}-dirty\\.[0-9a-f]{16}$`), 'uncommitted change')
  await writeFile(join(dir, 'a.yaml'), `${RULE}message: changed again\n`)
  t.not(await revision(dir), dirty, 'two different uncommitted states differ')

  git('checkout', '-q', '--', '.')
  await writeFile(join(repo, 'README'), 'outside the policy dir')
  t.equal(await revision(dir), head, 'changes outside the policy dir do not make it dirty')
})
