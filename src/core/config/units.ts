const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

/** `250ms`, `30s`, `10m`, `1h`, `7d` in milliseconds; undefined when it is not one. */
export function parseDuration (text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim())
  return m === null ? undefined : Number(m[1]) * DURATION_UNITS_MS[m[2]]
}

/** `512kb`, `10mb`, `1gb`, `100b` in bytes; undefined when it is not one. */
export function parseSize (text: string): number | undefined {
  const m = /^(\d+)\s*(b|kb|mb|gb)$/i.exec(text.trim())
  return m === null ? undefined : Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]
}
