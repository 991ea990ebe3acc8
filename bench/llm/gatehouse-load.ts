/**
 * gatehouse alone under load, for profiling and for CPU per request: the mock upstream runs here, gatehouse
 * (bench/llm/gatehouse-server.ts, example policies incl. mask-pii both ways) in a child process whose
 * CPU time (/proc/<pid>/stat, Linux) is read around each phase. No direct or Portkey phases, so a CPU
 * profile of the child covers gatehouse's work only.
 *
 *   sequential JSON and SSE calls on one connection: p50/p99 of the whole call, gatehouse CPU per call;
 *   50 connections: calls/s and gatehouse CPU per call.
 *
 * Run: npx tsx bench/llm/gatehouse-load.ts [--iterations 2000] [--seconds 4] [--phases json,sse,json50,sse50]
 *      [--cpu-prof DIR] (writes a .cpuprofile of the gatehouse process into DIR when it exits)
 *      [--node-args='--trace-gc ...'] (more node options for the gatehouse process)
 */
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { startMockUpstream } from './mock-upstream.js'

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '4' },
    phases: { type: 'string', default: 'json,sse,json50,sse50' },
    'cpu-prof': { type: 'string' },
    'node-args': { type: 'string', default: '' }
  }
})
const ITERATIONS = Number(args.iterations)
const SECONDS = Number(args.seconds)
const CONCURRENCY = 50
const WARMUP_CALLS = 500
const PROMPT = 'Summarise the attached quarterly report for the finance team in three short bullet points, please.'
/** Linux clock ticks per second for /proc/<pid>/stat utime and stime. */
const CLOCK_TICKS_PER_S = 100

const mock = await startMockUpstream()
const nodeArgs = ['--import', 'tsx', ...args['node-args'].split(' ').filter(Boolean), ...(args['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`])]
const child = spawn(process.execPath, [...nodeArgs, fileURLToPath(new URL('./gatehouse-server.ts', import.meta.url))], {
  env: { ...process.env, UPSTREAM_URL: mock.url, OPENAI_API_KEY: 'sk-bench-upstream-key' },
  stdio: ['pipe', 'pipe', 'inherit']
})
// The ready line; anything else the child prints (--trace-gc) is passed on.
const { port, token } = await new Promise<{ port: number; token: string }>(resolve => {
  createInterface({ input: child.stdout! }).on('line', line => {
    if (line.startsWith('{"port"')) resolve(JSON.parse(line))
    else console.log(`gatehouse: ${line}`)
  })
})
const origin = `http://127.0.0.1:${port}`
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
const body = (stream: boolean) => JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'system', content: 'You are a concise analyst.' }, { role: 'user', content: PROMPT }] })
const BODIES = { false: body(false), true: body(true) }

/** CPU seconds (user + system) the gatehouse process has used so far. */
function childCpuS (): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S
}

/** CPU seconds so far: the main thread, and the others (V8 GC helpers, libuv pool...) by name. */
function childThreadsCpuS (): Map<string, number> {
  const out = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8')
      let name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, 'N')
      if (tid === String(child.pid)) name = 'main'
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S)
    } catch {}
  }
  return out
}

function threadsLine (before: Map<string, number>, calls: number): string {
  const after = childThreadsCpuS()
  return [...after].map(([n, s]) => [n, s - (before.get(n) ?? 0)] as const).filter(([, s]) => s > 0)
    .sort((a, b) => b[1] - a[1]).map(([n, s]) => `${n} ${(s / calls * 1e6).toFixed(0)}`).join(', ')
}

async function call (pool: Pool, stream: boolean, direct = false): Promise<number> {
  const t0 = performance.now()
  const res = await pool.request({ method: 'POST', path: direct ? '/v1/chat/completions' : '/openai/v1/chat/completions', headers, body: BODIES[`${stream}`] })
  let text = ''
  for await (const c of res.body) text += c
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text}`)
  return performance.now() - t0
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] }

/** Sequential calls alternating between the mock upstream itself and gatehouse; percentiles of each. */
async function sequential (stream: boolean): Promise<void> {
  const pool = new Pool(origin, { connections: 1 })
  const direct = new Pool(mock.url, { connections: 1 })
  for (let i = 0; i < WARMUP_CALLS; i++) { await call(pool, stream); await call(direct, stream, true) }
  const times: number[] = []
  const directTimes: number[] = []
  let cpu = 0
  const threads0 = childThreadsCpuS()
  for (let i = 0; i < ITERATIONS; i++) {
    directTimes.push(await call(direct, stream, true))
    const cpu0 = childCpuS()
    times.push(await call(pool, stream))
    cpu += childCpuS() - cpu0
  }
  const threads = threadsLine(threads0, ITERATIONS)
  await pool.close()
  await direct.close()
  const ps = [0.5, 0.9, 0.99, 0.999]
  const row = (xs: number[]) => ps.map(p => pct(xs, p).toFixed(3)).join(' / ')
  console.log(`${stream ? 'SSE ' : 'JSON'} sequential   p50/p90/p99/p99.9 ms: direct ${row(directTimes)}   gatehouse ${row(times)}   added p50 ${(pct(times, 0.5) - pct(directTimes, 0.5)).toFixed(3)} p99 ${(pct(times, 0.99) - pct(directTimes, 0.99)).toFixed(3)}`)
  console.log(`${stream ? 'SSE ' : 'JSON'} sequential   gatehouse CPU ${(cpu / ITERATIONS * 1e6).toFixed(0)} µs/call (threads over the phase, direct calls included: ${threads})`)
}

async function concurrent (stream: boolean): Promise<void> {
  const pool = new Pool(origin, { connections: CONCURRENCY })
  let done = 0
  const run = async (seconds: number) => {
    const until = performance.now() + seconds * 1000
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (performance.now() < until) { await call(pool, stream); done++ } }))
  }
  await run(1)
  done = 0
  const cpu0 = childCpuS()
  const threads0 = childThreadsCpuS()
  await run(SECONDS)
  const cpu = childCpuS() - cpu0
  const threads = threadsLine(threads0, done)
  await pool.close()
  console.log(`${stream ? 'SSE ' : 'JSON'} c=${CONCURRENCY}          ${(done / SECONDS).toFixed(0)} calls/s   gatehouse CPU ${(cpu / done * 1e6).toFixed(0)} µs/call, ${(cpu / SECONDS * 100).toFixed(0)}% of a core (${threads})`)
}

for (const phase of args.phases.split(',')) {
  if (phase === 'json') await sequential(false)
  else if (phase === 'sse') await sequential(true)
  else if (phase === 'json50') await concurrent(false)
  else if (phase === 'sse50') await concurrent(true)
  else throw new Error(`unknown phase ${phase}`)
}
child.stdin!.end()
await once(child, 'exit')
mock.server.close()
