import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Chunks in the benchmark's streamed answer. */
export const STREAM_CHUNKS = 50

const CHAT_JSON = Buffer.from(JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created: 1741569952, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'The quarterly numbers look steady; revenue grew four percent while costs stayed flat.', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 }
}))

function streamEvents (withUsage: boolean): string[] {
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1741569952, model: 'gpt-4o-mini' }
  const extra = withUsage ? { usage: null } : {}
  const chunk = (delta: object, finish: string | null) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`
  const events = [chunk({ role: 'assistant', content: '' }, null)]
  for (let i = 0; i < STREAM_CHUNKS; i++) events.push(chunk({ content: ` word${i}` }, null))
  events.push(chunk({}, 'stop'))
  if (withUsage) events.push(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 42, completion_tokens: 50, total_tokens: 92 } })}\n\n`)
  events.push('data: [DONE]\n\n')
  return events
}
const STREAM = streamEvents(false)
const STREAM_WITH_USAGE = streamEvents(true)

/** A trivial OpenAI chat/completions upstream on loopback: prebuilt JSON, or 50 SSE chunks written one by one. */
export async function startMockUpstream (): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', c => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': CHAT_JSON.length })
        res.end(CHAT_JSON)
        return
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
      for (const e of body.stream_options?.include_usage === true ? STREAM_WITH_USAGE : STREAM) res.write(e)
      res.end()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}
