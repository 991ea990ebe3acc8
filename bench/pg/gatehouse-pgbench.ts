/**
 * pgbench -S against gatehouse only, started as bench/pg/pgbench-compare.ts starts it (dev issuer,
 * compiled policy, audit file), for profiling the real relay path: run it under `node --cpu-prof`, or
 * attach `strace -c -f -p <pid>` (the pid is printed) while it runs. Prints TPS and p50 per mode.
 *
 * Run: node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx bench/pg/gatehouse-pgbench.ts [--seconds 10] [--clients 1] [--modes simple,prepared] [--wait-ms 0]
 * Also prints gatehouse's CPU time (user+system, all its threads) and context switches per transaction:
 * steadier than TPS on a shared machine. `--wait-ms` pauses between the start-up and the runs (time to attach strace). GH_BENCH_NO_AUDIT=1
 * turns the audit sink off (diagnosis only).
 */
import { parseArgs } from 'node:util'
import { pgbenchSelect, startBenchGatehouse, withPgbenchDatabase } from './bench-gatehouse.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '1' },
    modes: { type: 'string', default: 'simple,prepared' },
    scale: { type: 'string', default: '10' },
    'wait-ms': { type: 'string', default: '0' }
  }
})

await withPgbenchDatabase(args.scale as string, async (bench) => {
  const { dir, db, directEnv } = bench
  const { env } = await startBenchGatehouse(bench, db, directEnv)
  console.log(`gatehouse pid ${process.pid}`)
  await new Promise((resolve) => setTimeout(resolve, Number(args['wait-ms'])))

  for (const mode of (args.modes as string).split(',')) {
    for (const c of (args.clients as string).split(',').map(Number)) {
      const cpu0 = process.cpuUsage()
      const ru0 = process.resourceUsage()
      const { tps, latenciesUs: latencies } = await pgbenchSelect(env, { dir, mode, clients: c, seconds: args.seconds as string })
      const cpu = process.cpuUsage(cpu0)
      const ru = process.resourceUsage()
      console.log(`${mode.padEnd(9)} c=${String(c).padStart(3)}  tps ${tps.toFixed(0).padStart(7)}  p50 ${(latencies[Math.floor(latencies.length / 2)] / 1000).toFixed(3)} ms  p99 ${(latencies[Math.floor(latencies.length * 0.99)] / 1000).toFixed(3)} ms  max ${(latencies[latencies.length - 1] / 1000).toFixed(1)} ms  transactions ${latencies.length}  gatehouse CPU/tx ${((cpu.user + cpu.system) / latencies.length).toFixed(1)} µs (sys ${(cpu.system / latencies.length).toFixed(1)})  ctx switches/tx ${((ru.voluntaryContextSwitches - ru0.voluntaryContextSwitches) / latencies.length).toFixed(2)} vol ${((ru.involuntaryContextSwitches - ru0.involuntaryContextSwitches) / latencies.length).toFixed(2)} invol`)
    }
  }
})
