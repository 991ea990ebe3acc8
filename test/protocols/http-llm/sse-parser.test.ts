import t from 'tap'
import fc from 'fast-check'
import { SseParser, MAX_SSE_EVENT_BYTES, type SseEvent } from '../../../src/protocols/http-llm/sse-parser.js'
import { ProtocolError } from '../../../src/core/errors.js'

const STREAM = 'event: message_start\ndata: {"a":"é€𝄞"}\n\n: comment\n\ndata: line1\r\ndata: line2\r\n\r\nevent: ping\rdata: {}\r\rdata: [DONE]\n\n'

function parseChunked (bytes: Buffer, cuts: number[]): { events: SseEvent[]; atBoundary: boolean } {
  const p = new SseParser()
  const events: SseEvent[] = []
  let at = 0
  for (const cut of [...cuts.map(c => c % (bytes.length + 1))].sort((a, b) => a - b).concat(bytes.length)) {
    events.push(...p.push(bytes.subarray(at, cut)))
    at = cut
  }
  return { events, atBoundary: p.isAtBoundary }
}

t.test('events, comments, multi-line data and every line ending are parsed with their exact bytes', async t => {
  const { events, atBoundary } = parseChunked(Buffer.from(STREAM), [])
  t.same(events.map(e => [e.event, e.data]), [
    ['message_start', '{"a":"é€𝄞"}'],
    [undefined, ''],
    [undefined, 'line1\nline2'],
    ['ping', '{}'],
    [undefined, '[DONE]']
  ])
  t.equal(Buffer.concat(events.map(e => e.raw)).toString(), STREAM, 'raw bytes of all events are the stream')
  t.ok(atBoundary)
})

t.test('any chunking, even inside a UTF-8 character or a CRLF, gives the same events', async t => {
  const bytes = Buffer.from(STREAM)
  const whole = parseChunked(bytes, []).events.map(e => [e.event, e.data, e.raw.toString('hex')])
  fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 30 }), cuts => {
    const got = parseChunked(bytes, cuts).events.map(e => [e.event, e.data, e.raw.toString('hex')])
    t.same(got, whole)
    return JSON.stringify(got) === JSON.stringify(whole)
  }), { numRuns: 300 })
})

t.test('isAtBoundary says whether part of an event is held', async t => {
  const p = new SseParser()
  p.push(Buffer.from('data: {"x":'))
  t.notOk(p.isAtBoundary)
  p.push(Buffer.from('1}\n\n'))
  t.ok(p.isAtBoundary)
})

t.test('an event larger than the limit is refused, not buffered', async t => {
  const p = new SseParser()
  t.throws(() => p.push(Buffer.alloc(MAX_SSE_EVENT_BYTES + 1, 0x61)), ProtocolError)
})
