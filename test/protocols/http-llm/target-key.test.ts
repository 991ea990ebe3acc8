import t from 'tap'
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HttpLlmTargetConfig } from '../../../src/core/config/index.js'
import { KEY_REFRESH_MS, TargetKey } from '../../../src/protocols/http-llm/target-key.js'

const target = (over: Partial<HttpLlmTargetConfig>): HttpLlmTargetConfig => ({ name: 'openai', ...over }) as HttpLlmTargetConfig

t.test('a key file replaced in place is used from the next refresh on, without a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-target-key-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'openai.key')
  await writeFile(file, 'sk-first\n')
  let now = 0
  const key = new TargetKey(target({ apiKeyFile: file }), () => now)
  t.equal(key.get(), 'sk-first')
  await writeFile(file, 'sk-second\n')
  now += KEY_REFRESH_MS - 1
  t.equal(key.get(), 'sk-first', 'requests within the refresh interval do not read the file')
  now += 1
  t.equal(key.get(), 'sk-second', 'the rotated key once the interval is over')

  await unlink(file)
  t.equal(key.get(), 'sk-second', 'still within the interval')
  now += KEY_REFRESH_MS
  t.throws(() => key.get(), { name: 'UpstreamError', message: /target openai has no usable API key: .*cannot read secret file/ })
  t.throws(() => key.get(), { name: 'UpstreamError' }, 'an unreadable key is not remembered: every request reports it')
  await writeFile(file, 'sk-third\n')
  t.equal(key.get(), 'sk-third', 'and the next request after the fix works')
})

t.test('an environment key is read once per interval; no key configured means none', async (t) => {
  const name = 'GATEHOUSE_TEST_TARGET_KEY'
  t.teardown(() => { delete process.env[name] })
  process.env[name] = 'sk-env-1'
  let now = 0
  const key = new TargetKey(target({ apiKeyEnv: name }), () => now)
  t.equal(key.get(), 'sk-env-1')
  process.env[name] = 'sk-env-2'
  t.equal(key.get(), 'sk-env-1')
  now += KEY_REFRESH_MS
  t.equal(key.get(), 'sk-env-2')
  delete process.env[name]
  now += KEY_REFRESH_MS
  const err = t.throws(() => key.get(), { name: 'UpstreamError', message: /environment variable GATEHOUSE_TEST_TARGET_KEY is not set/ }) as Error | undefined
  t.notMatch(err?.message ?? '', /sk-env/, 'no key value in the message')
  t.equal(new TargetKey(target({})).get(), undefined)
})
