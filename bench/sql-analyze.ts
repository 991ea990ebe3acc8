/**
 * Cost of SQL analysis per Query: libpg-query's parse alone (the baseline), analyze() on a fresh
 * parse, analyze() answered from the cache, and normalize() for audit.
 *
 * Run: npx tsx bench/sql-analyze.ts
 * Prints p50/p99 microseconds per call; "vs parse" is the ratio to the bare parse.
 */
import { measure, do_not_optimize } from 'mitata'
import { parseSync } from 'libpg-query'
import { createSqlAnalyzer } from '../src/protocols/postgres/sql/index.js'

const TYPICAL = 'SELECT c.id, c.email, o.total FROM customers c JOIN orders o ON o.customer_id = c.id ' +
  "WHERE c.id = $1 AND o.created_at > now() - interval '30 days' ORDER BY o.created_at DESC LIMIT 50"
const COMPLEX = 'WITH recent AS (SELECT customer_id, sum(total) AS spent FROM orders WHERE created_at > $1 GROUP BY 1), ' +
  'gone AS (DELETE FROM sessions s USING customers c WHERE s.customer_id = c.id AND c.deleted RETURNING s.id) ' +
  'SELECT c.*, r.spent, (SELECT count(*) FROM gone) FROM public.customers c JOIN recent r ON r.customer_id = c.id ' +
  'WHERE EXISTS (SELECT 1 FROM audit.flags f WHERE f.customer_id = c.id) UNION ALL SELECT * FROM archive.customers'

const fresh = await createSqlAnalyzer({ cacheSize: 0 })
const cached = await createSqlAnalyzer()

const rows: Array<[string, () => unknown]> = [
  ['parseSync (baseline), typical', () => parseSync(TYPICAL)],
  ['analyze fresh parse, typical', () => fresh.analyze(TYPICAL)],
  ['analyze cached, typical', () => cached.analyze(TYPICAL)],
  ['parseSync (baseline), complex', () => parseSync(COMPLEX)],
  ['analyze fresh parse, complex', () => fresh.analyze(COMPLEX)],
  ['analyze cached, complex', () => cached.analyze(COMPLEX)],
  ['normalize cached, typical', () => cached.normalize(TYPICAL)]
]

const us = (ns: number): string => (ns / 1000).toFixed(2).padStart(9)
console.log(`${'case'.padEnd(34)} ${'p50 µs'.padStart(9)} ${'p99 µs'.padStart(9)}  vs parse`)
let baseline = 0
for (const [name, fn] of rows) {
  const stats = await measure(() => do_not_optimize(fn()))
  if (name.startsWith('parseSync')) baseline = stats.p50
  console.log(`${name.padEnd(34)} ${us(stats.p50)} ${us(stats.p99)}  ${(stats.p50 / baseline).toFixed(2)}x`)
}
