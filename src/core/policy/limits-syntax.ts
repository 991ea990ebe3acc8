import { parseDuration } from '../config/index.js'
import type { RateSpec } from '../events/index.js'

const PER_UNIT_MS: Record<string, number> = {
  s: 1000, sec: 1000, second: 1000,
  m: 60_000, min: 60_000, minute: 60_000,
  h: 3_600_000, hour: 3_600_000,
  d: 86_400_000, day: 86_400_000
}

/**
 * `60/min`, `200000/hour`, `10/s`, `100/15m`: a positive whole count per window. A unit may be
 * plural (`/hours`); a window may be any duration (`/15m`, `/2h`).
 */
export function parseRate (text: string): RateSpec | undefined {
  const m = /^(\d+)\s*\/\s*(\S+)$/.exec(text.trim())
  if (m === null) return undefined
  const count = Number(m[1])
  const unit = m[2].replace(/s$/, '')
  const windowMs = PER_UNIT_MS[unit] ?? PER_UNIT_MS[m[2]] ?? (/^\d/.test(m[2]) ? parseDuration(m[2]) : undefined)
  if (!Number.isSafeInteger(count) || count <= 0 || windowMs === undefined || windowMs <= 0) return undefined
  return { count, windowMs }
}
