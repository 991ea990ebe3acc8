/** 128-entry membership tables for the per-character loops of pending rules and triggers; non-ASCII is never a member. */

/** The ASCII characters a one-character class regex matches. */
export function asciiTable (cls: RegExp): Uint8Array {
  const t = new Uint8Array(128)
  for (let c = 0; c < 128; c++) t[c] = cls.test(String.fromCharCode(c)) ? 1 : 0
  return t
}

/** The given ASCII characters. */
export function asciiSet (chars: string): Uint8Array {
  const t = new Uint8Array(128)
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1
  return t
}

export const isDigitCode = (c: number): boolean => c >= 48 && c <= 57
