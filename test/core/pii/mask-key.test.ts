import t from 'tap'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMasker, loadMaskHashKey } from '../../../src/core/pii/index.js'

t.test('the hash mask key lives in data_dir, so hash tokens survive a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-maskkey-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const first = await loadMaskHashKey(dir)
  t.equal((await stat(join(dir, 'mask-hash.key'))).mode & 0o777, 0o600, 'the key file is private')
  const again = await loadMaskHashKey(dir)
  t.ok(first.equals(again), 'the same key after a restart')
  const token = (key: Buffer): string => createMasker({ style: 'hash', hashKey: key }).mask('write to jane@example.com').masked
  t.equal(token(first), token(again), 'equal hash tokens, so joins on masked values still match')
  // A key file is never seen created but not yet written: every loader of a round gets the same key.
  for (let round = 0; round < 20; round++) {
    const raced = join(dir, `race-${round}`)
    const keys = await Promise.all(Array.from({ length: 6 }, () => loadMaskHashKey(raced)))
    if (!keys.every((k) => k.equals(keys[0]))) t.fail(`round ${round}: instances starting together got different keys`)
    t.same(await readdir(raced), ['mask-hash.key'], 'no temporary file is left behind')
  }
  await mkdir(join(dir, 'bad'))
  await writeFile(join(dir, 'bad', 'mask-hash.key'), 'short\n')
  await t.rejects(loadMaskHashKey(join(dir, 'bad')), /does not hold a 32-byte hex key/, 'a damaged key is reported, not replaced')
})
