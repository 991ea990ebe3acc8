import { ProtocolError } from '../../core/errors.js'

const LF = 0x0a
const CR = 0x0d
const COLON = 0x3a
const SPACE = 0x20
/** An upstream event larger than this is not a chat delta: refuse it rather than buffer without bound. */
export const MAX_SSE_EVENT_BYTES = 4 * 1024 * 1024

/** One dispatched server-sent event, with the exact bytes it arrived as. */
export interface SseEvent {
  /** The `event:` field, or undefined when the event had none. */
  event?: string
  /** `data:` lines joined with LF. */
  data: string
  /** The event's bytes including its terminating blank line (comments included). */
  raw: Buffer
}

/**
 * Incremental parser of a text/event-stream body. Works on bytes so a UTF-8 character split across
 * chunks is never decoded in halves; lines end in CRLF, LF or CR.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export class SseParser {
  #buf: Buffer = Buffer.alloc(0)
  /** Where the event being collected starts in #buf. */
  #eventStart = 0
  /** Where the next unscanned line starts in #buf. */
  #lineStart = 0
  #event: string | undefined
  #data: string[] = []

  /** No bytes of an unfinished event are held: a new event could be written cleanly now. */
  get isAtBoundary (): boolean { return this.#buf.length === this.#eventStart }

  push (chunk: Buffer): SseEvent[] {
    this.#buf = this.#buf.length === this.#eventStart ? chunk : Buffer.concat([this.#buf.subarray(this.#eventStart), chunk])
    this.#lineStart -= this.#eventStart
    this.#eventStart = 0
    const out: SseEvent[] = []
    const buf = this.#buf
    // Lines are found with native searches; most streams have no CR at all, and then only LF is looked for.
    let nextCr = buf.indexOf(CR, this.#lineStart)
    let i = this.#lineStart
    while (i < buf.length) {
      let lf = buf.indexOf(LF, i)
      if (nextCr !== -1 && nextCr < i) nextCr = buf.indexOf(CR, i)
      if (lf === -1) lf = buf.length
      const lineEnd = nextCr !== -1 && nextCr < lf ? nextCr : lf
      if (lineEnd === buf.length) break
      const c = buf[lineEnd]
      // A CR at the end of the chunk may be the first half of CRLF: wait for the next byte.
      if (c === CR && lineEnd + 1 === buf.length) break
      i = lineEnd + (c === CR && buf[lineEnd + 1] === LF ? 2 : 1)
      if (lineEnd === this.#lineStart) {
        const raw = buf.subarray(this.#eventStart, i)
        if (this.#data.length > 0 || this.#event !== undefined) out.push({ event: this.#event, data: this.#data.join('\n'), raw })
        else if (raw.length > 1) out.push({ event: undefined, data: '', raw })
        this.#event = undefined
        this.#data = []
        this.#eventStart = i
      } else {
        this.#field(buf, this.#lineStart, lineEnd)
      }
      this.#lineStart = i
    }
    this.#lineStart = Math.max(this.#lineStart, this.#eventStart)
    if (buf.length - this.#eventStart > MAX_SSE_EVENT_BYTES) throw new ProtocolError(`upstream stream event larger than ${MAX_SSE_EVENT_BYTES} bytes`)
    return out
  }

  #field (buf: Buffer, start: number, end: number): void {
    if (buf[start] === COLON) return
    let colon = buf.indexOf(COLON, start)
    if (colon === -1 || colon > end) colon = end
    const name = buf.toString('latin1', start, colon)
    let valueStart = colon + 1
    if (valueStart < end && buf[valueStart] === SPACE) valueStart++
    const value = valueStart >= end ? '' : buf.toString('utf8', valueStart, end)
    if (name === 'data') this.#data.push(value)
    else if (name === 'event') this.#event = value
  }
}

/** Serializes one event in the framing providers use; names come from parsed lines so hold no CR/LF. */
export function formatSse (event: string | undefined, data: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`
}
