import t from 'tap'
import { sniffHttp } from '../../../src/protocols/http-llm/sniff.js'
import { splitTargetPath, upstreamPath } from '../../../src/protocols/http-llm/target-route.js'

t.test('sniff: an HTTP/1.x request line is yes, a prefix of one needs more, anything else is no', async t => {
  t.equal(sniffHttp(Buffer.from('POST /openai/v1/chat/completions HTTP/1.1\r\n')), 'yes')
  t.equal(sniffHttp(Buffer.from('GET ')), 'yes')
  t.equal(sniffHttp(Buffer.from('OPTI')), 'need-more')
  t.equal(sniffHttp(Buffer.from('')), 'need-more')
  t.equal(sniffHttp(Buffer.from([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f])), 'no', 'Postgres SSLRequest')
  t.equal(sniffHttp(Buffer.from([0x16, 0x03, 0x01])), 'no', 'TLS ClientHello')
  t.equal(sniffHttp(Buffer.from(' GET /')), 'no')
  t.equal(sniffHttp(Buffer.from('A'.repeat(40))), 'no', 'no method is that long')
})

t.test('the first path segment names the target; the rest and the query go on', async t => {
  t.same(splitTargetPath('/openai/v1/chat/completions'), { name: 'openai', apiPath: '/v1/chat/completions', query: '' })
  t.same(splitTargetPath('/anthropic/v1/messages?beta=true'), { name: 'anthropic', apiPath: '/v1/messages', query: '?beta=true' })
  t.same(splitTargetPath('/openai'), { name: 'openai', apiPath: '/', query: '' })
})

t.test('a version segment ending the upstream path and starting the client path is joined once', async t => {
  t.equal(upstreamPath('/v1', '/v1/chat/completions'), '/v1/chat/completions')
  t.equal(upstreamPath('/v1/', '/v1/models'), '/v1/models')
  t.equal(upstreamPath('/', '/v1/messages'), '/v1/messages')
  t.equal(upstreamPath('', '/v1/messages'), '/v1/messages')
  t.equal(upstreamPath('/v1', '/chat/completions'), '/v1/chat/completions', 'an SDK pointed at the bare target')
  t.equal(upstreamPath('/proxy/openai/v1', '/v1/embeddings'), '/proxy/openai/v1/embeddings')
  t.equal(upstreamPath('/api', '/v1/chat/completions'), '/api/v1/chat/completions', 'only a version segment is joined')
  t.equal(upstreamPath('/v1', '/v10/x'), '/v1/v10/x')
})
