/** Most claim paths are one or two keys deep; the search below is exponential in the segment count. */
const MAX_CLAIM_PATH_SEGMENTS = 8

/**
 * Reads a claim by a dotted path such as `realm_access.roles`. Claim names may themselves contain dots
 * (`https://example.com/groups`), so at every level the longest key that exists wins: the whole rest of
 * the path first, then shorter prefixes descending into nested objects.
 */
export function readClaim (claims: Record<string, unknown>, path: string): unknown {
  const segments = path.split('.')
  if (segments.length > MAX_CLAIM_PATH_SEGMENTS) return claims[path]
  return lookup(claims, segments)
}

function lookup (node: unknown, segments: string[]): unknown {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined
  const obj = node as Record<string, unknown>
  for (let take = segments.length; take >= 1; take--) {
    const key = segments.slice(0, take).join('.')
    if (!Object.hasOwn(obj, key)) continue
    const found = take === segments.length ? obj[key] : lookup(obj[key], segments.slice(take))
    if (found !== undefined) return found
  }
  return undefined
}

/** Groups as the IdP sent them: one string (space-separated lists stay one group) or an array of strings. */
export function readGroups (claims: Record<string, unknown>, path: string): string[] {
  const value = readClaim(claims, path)
  if (typeof value === 'string') return value === '' ? [] : [value]
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '')
  return []
}
