import { randomBytes } from 'node:crypto'

let lastMs = 0
let counter = 0
const node = randomBytes(3).toString('hex')

/**
 * Unique, lexicographically sortable ids (time, then a per-millisecond counter, then a per-process
 * tag), cheap enough for every event: `0192f3c4a1b2-0000-9f3a1c`.
 */
export function sortableId (): string {
  const now = Date.now()
  if (now === lastMs) counter++
  else { lastMs = now; counter = 0 }
  return `${now.toString(16).padStart(12, '0')}-${counter.toString(16).padStart(4, '0')}-${node}`
}
