import { UnmaskableResponseError } from '../../core/errors.js'
import { isRecord } from './provider.js'
import type { SseEvent } from './sse-parser.js'

/** The JSON object an event carries; anything else cannot be masked, so the stream must be cut. */
export function parseEventJson (ev: SseEvent): Record<string, any> {
  try {
    const v: unknown = JSON.parse(ev.data)
    if (isRecord(v)) return v
  } catch {}
  throw new UnmaskableResponseError('the upstream sent a stream event that is not a JSON object')
}

/** For watching an unmasked stream (usage): an odd event must not stop it. */
export function parseJsonQuietly (data: string): Record<string, any> | undefined {
  try {
    const v: unknown = JSON.parse(data)
    return isRecord(v) ? v : undefined
  } catch {
    return undefined
  }
}
