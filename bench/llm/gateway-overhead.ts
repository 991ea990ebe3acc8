/**
 * What gatehouse adds to an OpenAI chat call: the same requests sent straight to a local mock upstream
 * and through gatehouse (core listener + http-llm plugin, dev-issuer JWT (verified, then cached), the
 * example policy set with mask-pii on prompts and answers, audit to a file), interleaved in one run.
 *
 *   sequential (one keep-alive connection): added p50/p99 latency for a JSON call, and for a
 *     50-chunk SSE stream both time to first byte and the whole stream;
 *   concurrent (50 connections): requests/s for JSON and for streams, direct vs gatehouse.
 *
 * Run: npx tsx bench/llm/gateway-overhead.ts [--iterations 3000] [--seconds 5]   (loopback only; gatehouse
 * runs in a child process, bench/llm/gatehouse-server.ts)
 * Targets (issue 5): JSON added p50 < 0.5 ms, p99 < 2 ms; < 1 ms added to a whole 50-chunk stream.
 * The Portkey gateway comparison (issue 5) is not in this script yet.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { startMockUpstream, STREAM_CHUNKS } from './mock-upstream.js'

const { values: args } = parseArgs({ options: { iterations: { type: 'string', default: '3000' }, seconds: { type: 'string', default: '5' } } })
const ITERATIONS = Number(args.iterations)
const SECONDS = Number(args.seconds)
const CONCURRENCY = 50
const PROMPT = 'Summarise the attached quarterly report for the finance team in three short bullet points, please.'

const mock = await startMockUpstream()
// gatehouse runs in its own process, as it would in production; the clients and the mock share this one.
const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./gatehouse-server.ts', import.meta.url))], {
  env: { ...process.env, UPSTREAM_URL: mock.url, OPENAI_API_KEY: 'sk-bench-upstream-key' },
  stdio: ['pipe', 'pipe', 'inherit']
})
const [ready] = await once(createInterface({ input: child.stdout! }), 'line') as [string]
const { port, token } = JSON.parse(ready) as { port: number; token: string }

const direct = { name: 'direct', origin: mock.url, path: '/v1/chat/completions', auth: 'Bearer sk-bench-upstream-key' }
const through = { name: 'gatehouse', origin: `http://127.0.0.1:${port}`, path: '/openai/v1/chat/completions', auth: `Bearer ${token}` }
type Side = typeof direct

const body = (stream: boolean) => JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'system', content: 'You are a concise analyst.' }, { role: 'user', content: PROMPT }] })
const JSON_BODY = body(false)
const SSE_BODY = body(true)

/** One call; returns [time to first body byte, time to the end] in ms. `check` also verifies the answer. */
async function call (pool: Pool, side: Side, stream: boolean, check = false): Promise<[number, number]> {
  const t0 = performance.now()
  const res = await pool.request({ method: 'POST', path: side.path, headers: { authorization: side.auth, 'content-type': 'application/json' }, body: stream ? SSE_BODY : JSON_BODY })
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
const ms = (x: number) => x.toFixed(3).padStart(8)

async function sequential (stream: boolean): Promise<void> {
  const pools = { direct: new Pool(direct.origin, { connections: 1 }), gatehouse: new Pool(through.origin, { connections: 1 }) }
  const times: Record<string, { first: number[]; total: number[] }> = { direct: { first: [], total: [] }, gatehouse: { first: [], total: [] } }
  for (let i = 0; i < 300; i++) { await call(pools.direct, direct, stream, true); await call(pools.gatehouse, through, stream, true) }
  for (let i = 0; i < ITERATIONS; i++) {
    // Alternate which side goes first so neither always runs on a warmer machine.
    for (const side of i % 2 === 0 ? [direct, through] : [through, direct]) {
      const [first, total] = await call(pools[side.name as 'direct'], side, stream)
      times[side.name].first.push(first)
      times[side.name].total.push(total)
    }
  }
  await pools.direct.close(); await pools.gatehouse.close()
  const rows = stream ? [['time to first byte', 'first'], [`whole ${STREAM_CHUNKS}-chunk stream`, 'total']] as const : [['JSON call', 'total']] as const
  for (const [label, key] of rows) {
    const d = times.direct[key]; const g = times.gatehouse[key]
    console.log(`${label.padEnd(26)} p50 direct ${ms(pct(d, 0.5))}  gatehouse ${ms(pct(g, 0.5))}  added ${ms(pct(g, 0.5) - pct(d, 0.5))} ms | p99 direct ${ms(pct(d, 0.99))}  gatehouse ${ms(pct(g, 0.99))}  added ${ms(pct(g, 0.99) - pct(d, 0.99))} ms`)
  }
}

async function throughput (side: Side, stream: boolean): Promise<number> {
  const pool = new Pool(side.origin, { connections: CONCURRENCY, pipelining: 1 })
  let done = 0
  const until = performance.now() + SECONDS * 1000
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < until) { await call(pool, side, stream); done++ }
  }))
  await pool.close()
  return done / SECONDS
}

async function concurrent (stream: boolean): Promise<void> {
  const rates: Record<string, number[]> = { direct: [], gatehouse: [] }
  await throughput(through, stream) // warm-up
  for (let round = 0; round < 2; round++) for (const side of [direct, through]) rates[side.name].push(await throughput(side, stream))
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const d = mean(rates.direct); const g = mean(rates.gatehouse)
  console.log(`${(stream ? 'streams/s' : 'JSON req/s').padEnd(26)} c=${CONCURRENCY}: direct ${d.toFixed(0).padStart(7)}  gatehouse ${g.toFixed(0).padStart(7)}  ratio ${(g / d).toFixed(2)}`)
}

console.log(`node ${process.version}; ${ITERATIONS} sequential pairs; ${SECONDS}s per throughput block; gatehouse in its own process`)
console.log('example policies (mask-pii on prompts and answers), dev-issuer JWT (verified, then cached per token for 30 s), audit to a file')
await sequential(false)
await sequential(true)
await concurrent(false)
await concurrent(true)
child.stdin!.end()
await once(child, 'exit')
mock.server.close()
