/**
 * What gatehouse adds to an OpenAI chat call: the same requests sent straight to a local mock upstream,
 * through gatehouse (core listener + http-llm plugin, dev-issuer JWT (verified, then cached), the example
 * policy set with mask-pii on prompts and answers, audit to a file), through node-proxy (a Node proxy with
 * no logic, bench/llm/node-proxy.ts: the price of the hop itself), and, when installed, through the
 * open-source Portkey gateway, interleaved in one run.
 *
 *   sequential (one keep-alive connection each): added p50/p99 latency for a JSON call, and for a
 *     50-chunk SSE stream both time to first byte and the whole stream;
 *   concurrent (50 connections): requests/s for JSON and for streams.
 *
 * Run: npx tsx bench/llm/gateway-overhead.ts [--iterations 3000] [--seconds 5] [--warmup-seconds 3]
 * Portkey (optional): (cd bench/llm/portkey && npm install) once; its package.json pins
 * @portkey-ai/gateway 1.15.2 with @hono/node-server 1.13.8 (newer ones break its streaming, Portkey-AI/gateway#1389).
 * Portkey binds every interface on its port: run this on a machine where that is acceptable.
 * gatehouse (bench/llm/gatehouse-server.ts), node-proxy and Portkey each run in their own process.
 * Targets (issue 5): JSON added p50 < 0.5 ms, p99 < 2 ms; < 1 ms added to a whole 50-chunk stream;
 * at c=50 >= 5x Portkey's JSON and >= 3x its streaming throughput.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { once } from 'node:events'
import { createServer, connect } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { startMockUpstream, STREAM_CHUNKS } from './mock-upstream.js'

const { values: args } = parseArgs({ options: { iterations: { type: 'string', default: '3000' }, seconds: { type: 'string', default: '5' }, 'warmup-seconds': { type: 'string', default: '3' } } })
const ITERATIONS = Number(args.iterations)
const SECONDS = Number(args.seconds)
const WARMUP_SECONDS = Number(args['warmup-seconds'])
const CONCURRENCY = 50
const WARMUP_CALLS = 300
const PROMPT = 'Summarise the attached quarterly report for the finance team in three short bullet points, please.'
const UPSTREAM_KEY = 'sk-bench-upstream-key'
const PORTKEY_SERVER = fileURLToPath(new URL('./portkey/node_modules/@portkey-ai/gateway/build/start-server.js', import.meta.url))

interface Side { name: string; origin: string; path: string; headers: Record<string, string> }

const mock = await startMockUpstream()
/** Ours exit when their stdin closes (gatehouse prints its audit line count first); Portkey is killed. */
const ownChildren: ChildProcess[] = []
const otherChildren: ChildProcess[] = []

/** Starts one of our TypeScript servers in its own process and reads its ready line (`{"port":N,...}`). */
async function startOwn (file: string): Promise<{ port: number; token?: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(file, import.meta.url))], {
    env: { ...process.env, UPSTREAM_URL: mock.url, OPENAI_API_KEY: UPSTREAM_KEY },
    stdio: ['pipe', 'pipe', 'inherit']
  })
  ownChildren.push(child)
  const [ready] = await once(createInterface({ input: child.stdout! }), 'line') as [string]
  return JSON.parse(ready) as { port: number; token?: string }
}

async function startGatehouse (): Promise<Side> {
  const { port, token } = await startOwn('./gatehouse-server.ts')
  return { name: 'gatehouse', origin: `http://127.0.0.1:${port}`, path: '/openai/v1/chat/completions', headers: { authorization: `Bearer ${token ?? ''}` } }
}

/** The floor: a proxy with no logic (bench/llm/node-proxy.ts). */
async function startNodeProxy (): Promise<Side> {
  const { port } = await startOwn('./node-proxy.ts')
  return { name: 'node-proxy', origin: `http://127.0.0.1:${port}`, path: '/openai/v1/chat/completions', headers: { authorization: `Bearer ${UPSTREAM_KEY}` } }
}

/** Portkey takes a fixed --port: take a free one, then wait until it accepts connections. */
async function startPortkey (): Promise<Side | undefined> {
  if (!existsSync(PORTKEY_SERVER)) return undefined
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise(resolve => probe.close(resolve))
  const child = spawn(process.execPath, [PORTKEY_SERVER, `--port=${port}`, '--headless'], { env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'inherit'] })
  otherChildren.push(child)
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>(resolve => { const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) }); s.on('error', () => resolve(false)) })
    if (up) break
    await sleep(100)
  }
  return {
    name: 'portkey', origin: `http://127.0.0.1:${port}`, path: '/v1/chat/completions',
    headers: { authorization: `Bearer ${UPSTREAM_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${mock.url}/v1` }
  }
}

const direct: Side = { name: 'direct', origin: mock.url, path: '/v1/chat/completions', headers: { authorization: `Bearer ${UPSTREAM_KEY}` } }
const gatehouse = await startGatehouse()
const nodeProxy = await startNodeProxy()
const portkey = await startPortkey()
const gateways = portkey === undefined ? [gatehouse, nodeProxy] : [gatehouse, nodeProxy, portkey]
const sides = [direct, ...gateways]

const body = (stream: boolean) => JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'system', content: 'You are a concise analyst.' }, { role: 'user', content: PROMPT }] })
const JSON_BODY = body(false)
const SSE_BODY = body(true)

/** One call; returns [time to first body byte, time to the end] in ms. `check` also verifies the answer. */
async function call (pool: Pool, side: Side, stream: boolean, check = false): Promise<[number, number]> {
  const t0 = performance.now()
  const res = await pool.request({ method: 'POST', path: side.path, headers: { ...side.headers, 'content-type': 'application/json' }, body: stream ? SSE_BODY : JSON_BODY })
  let first = 0
  let bytes = ''
  for await (const c of res.body) { if (first === 0) first = performance.now() - t0; bytes += c }
  if (res.statusCode !== 200) throw new Error(`${side.name}: HTTP ${res.statusCode}: ${bytes}`)
  if (check && stream && streamedText(bytes).match(/word\d+/g)?.length !== STREAM_CHUNKS) throw new Error(`${side.name}: stream incomplete`)
  return [first, performance.now() - t0]
}

/** The assistant text of an OpenAI stream; masking may regroup it into other deltas than the upstream's. */
function streamedText (sse: string): string {
  let text = ''
  for (const line of sse.split('\n')) {
    if (line.startsWith('data: {')) text += JSON.parse(line.slice(6)).choices[0]?.delta?.content ?? ''
  }
  return text
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] }
const ms = (x: number) => x.toFixed(3).padStart(7)

async function sequential (stream: boolean): Promise<void> {
  const pools = new Map(sides.map(s => [s.name, new Pool(s.origin, { connections: 1 })]))
  const times = new Map(sides.map(s => [s.name, { first: [] as number[], total: [] as number[] }]))
  for (let i = 0; i < WARMUP_CALLS; i++) for (const s of sides) await call(pools.get(s.name)!, s, stream, true)
  for (let i = 0; i < ITERATIONS; i++) {
    // Rotate which side goes first so none always runs on a warmer machine.
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(i + k) % sides.length]
      const [first, total] = await call(pools.get(side.name)!, side, stream)
      times.get(side.name)!.first.push(first)
      times.get(side.name)!.total.push(total)
    }
  }
  for (const p of pools.values()) await p.close()
  const rows = stream ? [['SSE time to first byte', 'first'], [`SSE whole ${STREAM_CHUNKS}-chunk stream`, 'total']] as const : [['JSON call', 'total']] as const
  for (const [label, key] of rows) {
    const d = times.get('direct')![key]
    const cells = gateways.map(g => {
      const x = times.get(g.name)![key]
      return `${g.name} +${ms(pct(x, 0.5) - pct(d, 0.5))} / +${ms(pct(x, 0.99) - pct(d, 0.99))}`
    })
    console.log(`${label.padEnd(28)} direct ${ms(pct(d, 0.5))} / ${ms(pct(d, 0.99))}   ${cells.join('   ')}   (ms, p50 / p99; gateways as added)`)
  }
}

async function throughput (side: Side, stream: boolean, seconds = SECONDS): Promise<number> {
  const pool = new Pool(side.origin, { connections: CONCURRENCY })
  let done = 0
  const until = performance.now() + seconds * 1000
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < until) { await call(pool, side, stream); done++ }
  }))
  await pool.close()
  return done / seconds
}

async function concurrent (stream: boolean): Promise<void> {
  const rates = new Map(sides.map(s => [s.name, [] as number[]]))
  for (const g of gateways) await throughput(g, stream)
  for (let round = 0; round < 2; round++) for (const s of sides) rates.get(s.name)!.push(await throughput(s, stream))
  const mean = (name: string) => { const xs = rates.get(name)!; return xs.reduce((a, b) => a + b, 0) / xs.length }
  const cells = sides.map(s => `${s.name} ${mean(s.name).toFixed(0).padStart(6)}`)
  const vsPortkey = portkey === undefined ? '' : `   gatehouse/portkey ${(mean('gatehouse') / mean('portkey')).toFixed(2)}x`
  console.log(`${(stream ? 'SSE streams/s' : 'JSON requests/s').padEnd(28)} c=${CONCURRENCY}: ${cells.join('   ')}   gatehouse/direct ${(mean('gatehouse') / mean('direct')).toFixed(2)}   gatehouse/node-proxy ${(mean('gatehouse') / mean('node-proxy')).toFixed(2)}${vsPortkey}`)
}

console.log(`node ${process.version}; ${ITERATIONS} sequential rounds; ${SECONDS}s per throughput block; each gateway in its own process`)
console.log('gatehouse: example policies (mask-pii on prompts and answers), dev-issuer JWT (verified, then cached per token for 30 s), audit to a file')
if (portkey === undefined) console.log('portkey: not installed (cd bench/llm/portkey && npm install), skipped')
// A gateway in service is warm: each one first serves both kinds of call at full load, so that what
// the sequential rounds measure is its steady state, not V8 still compiling its hot paths (a few
// hundred calls leave gatehouse's per-call cost at 3-4x its steady value).
for (const g of gateways) for (const stream of [false, true]) await throughput(g, stream, WARMUP_SECONDS)
await sequential(false)
await sequential(true)
await concurrent(false)
await concurrent(true)
for (const c of ownChildren) c.stdin!.end()
await Promise.all(ownChildren.map(c => once(c, 'exit')))
for (const c of otherChildren) c.kill()
mock.server.close()
