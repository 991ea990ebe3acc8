import t from 'tap'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
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
  const [a, b] = await Promise.all([loadMaskHashKey(join(dir, 'race')), loadMaskHashKey(join(dir, 'race'))])
  t.ok(a.equals(b), 'two instances starting together agree on one key')
  await mkdir(join(dir, 'bad'))
  await writeFile(join(dir, 'bad', 'mask-hash.key'), 'short\n')
  await t.rejects(loadMaskHashKey(join(dir, 'bad')), /does not hold a 32-byte hex key/, 'a damaged key is reported, not replaced')
})
