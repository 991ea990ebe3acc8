import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/core/config/index.js'

interface Teardown { teardown (fn: () => unknown): void }

/**
 * A fresh embedded PostgreSQL for one test file, stopped and deleted in teardown.
 * The temp dir is opened up because, as root, initdb runs as the `postgres` user.
 */
export async function startTestPostgres (t: Teardown): Promise<EmbeddedPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pg-'))
  await chmod(dir, 0o755)
  const db = await startEmbeddedPostgres({ dataDir: join(dir, 'pg') })
  t.teardown(async () => {
    await db.stop()
    await rm(dir, { recursive: true, force: true })
  })
  return db
}
