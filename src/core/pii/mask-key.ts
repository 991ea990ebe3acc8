import { randomBytes } from 'node:crypto'
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

const KEY_BYTES = 32

/**
 * The key of the `hash` mask style, kept in data_dir so hash tokens stay the same across restarts
 * (joins on masked values keep working). Instances that should produce equal tokens share this file.
 */
export async function loadMaskHashKey (dataDir: string): Promise<Buffer> {
  const file = join(dataDir, 'mask-hash.key')
  try {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'hex')
    if (key.length === KEY_BYTES) return key
    throw new Error(`${file} does not hold a ${KEY_BYTES}-byte hex key`)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const key = randomBytes(KEY_BYTES)
  await mkdir(dirname(file), { recursive: true })
  // Written whole under a private name, then linked into place: another instance reading the key file
  // never sees it created but still empty, and link() fails if that instance's key got there first.
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`
  await writeFile(temp, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  try {
    await link(temp, file)
    return key
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return await loadMaskHashKey(dataDir)
    throw err
  } finally {
    await unlink(temp)
  }
}
