/**
 * mitata micro-bench of the per-request header work in gatehouse: the upstream request headers built from
 * a typical OpenAI SDK request, and the client response headers from a typical upstream JSON answer.
 *
 * Run: npx tsx bench/llm/headers.ts
 */
import { bench, group, run } from 'mitata'
import { clientResponseHeaders, upstreamRequestHeaders } from '../../src/protocols/http-llm/headers.js'

const incoming = {
  host: '127.0.0.1:18080', connection: 'keep-alive', 'content-type': 'application/json', accept: 'application/json',
  authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig', 'user-agent': 'OpenAI/JS 4.77.0', 'x-stainless-lang': 'js',
  'x-stainless-package-version': '4.77.0', 'x-stainless-os': 'Linux', 'x-stainless-arch': 'x64', 'x-stainless-runtime': 'node',
  'x-stainless-runtime-version': 'v20.20.2', 'x-stainless-retry-count': '0', 'content-length': '235'
}
const upstream = {
  date: 'Sat, 06 Dec 2026 06:13:42 GMT', 'content-type': 'application/json', 'content-length': '330', connection: 'keep-alive',
  'openai-organization': 'org-x', 'openai-processing-ms': '412', 'openai-version': '2020-10-01', 'x-request-id': 'req_abc',
  'x-ratelimit-remaining-requests': '9999', 'set-cookie': ['__cf_bm=x; path=/'], 'cf-ray': '8f0a-ORD', 'keep-alive': 'timeout=5'
}
const inject = { authorization: 'Bearer sk-upstream' }

group('headers of one JSON request', () => {
  bench('upstreamRequestHeaders', () => upstreamRequestHeaders(incoming, inject))
  bench('clientResponseHeaders', () => clientResponseHeaders(upstream, false))
})

await run()
