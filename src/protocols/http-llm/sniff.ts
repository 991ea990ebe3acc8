const SP = 0x20
/** Longest method token we wait for; real methods are far shorter. */
const MAX_METHOD_BYTES = 24

/** RFC 9110 tchar: the bytes a method token may hold. */
function isTchar (c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e ||
    c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e
}

/**
 * An HTTP/1.x request starts with a method token and a space.
 * @see https://www.rfc-editor.org/rfc/rfc9112#name-request-line
 */
export function sniffHttp (head: Buffer): 'yes' | 'no' | 'need-more' {
  const n = Math.min(head.length, MAX_METHOD_BYTES + 1)
  for (let i = 0; i < n; i++) {
    const c = head[i]
    if (c === SP) return i > 0 ? 'yes' : 'no'
    if (!isTchar(c)) return 'no'
  }
  return head.length > MAX_METHOD_BYTES ? 'no' : 'need-more'
}
