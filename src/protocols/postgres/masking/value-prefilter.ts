/**
 * A byte-level test that a value cannot hold anything the built-in recognizers (src/core/pii/recognizers)
 * report, so clean values skip UTF-8 decoding and detection. It is a necessary condition of every built-in
 * pattern: EMAIL needs '@'; IPv6 and URL/key-value secrets ':' or '='; PHONE '+' or 10 digits; SSN 9,
 * CREDIT_CARD 12, IPv4 4 digits; IBAN two capital letters then two digits; provider tokens '_' or a fixed
 * prefix (sk-, AKIA, xox, eyJ...); PEM blocks '-----'. test/protocols/postgres/masking/value-prefilter.test.ts checks it against the
 * detector so a new recognizer cannot slip past it. Custom recognizers can match anything: with them the
 * prefilter is not used.
 */
const AT = 0x40 // '@'
const COLON = 0x3a // ':'
const EQUALS = 0x3d // '='
const PLUS = 0x2b // '+'
const UNDERSCORE = 0x5f // '_'
const DIGIT_0 = 0x30
const DIGIT_9 = 0x39
const MIN_DIGITS = 4
const UPPER_A = 0x41
const UPPER_Z = 0x5a

/** Literal prefixes of built-in secrets that may carry neither digits nor punctuation. */
const PREFIXES = ['eyJ', 'xox', '-----', 'AKIA', 'ASIA', 'ABIA', 'ACCA', 'sk-', 'hooks.slack'].map((p) => Buffer.from(p, 'latin1'))
/** Prefixes by their first byte, so each byte costs one array lookup. */
const PREFIXES_BY_FIRST: Array<Buffer[] | undefined> = []
for (const p of PREFIXES) (PREFIXES_BY_FIRST[p[0]] ??= []).push(p)

function startsAt (buf: Buffer, at: number, end: number, p: Buffer): boolean {
  if (at + p.length > end) return false
  for (let k = 1; k < p.length; k++) if (buf[at + k] !== p[k]) return false
  return true
}

/** False when `buf[start, end)` surely holds no built-in finding; true when it may. */
export function mayHoldPii (buf: Buffer, start = 0, end = buf.length): boolean {
  let digits = 0
  for (let i = start; i < end; i++) {
    const b = buf[i]
    if (b >= DIGIT_0 && b <= DIGIT_9) {
      if (++digits >= MIN_DIGITS) return true
      // An IBAN starts with a country code and two check digits: "DE89".
      if (i - start >= 3 && isDigit(buf[i - 1]) && isUpper(buf[i - 2]) && isUpper(buf[i - 3])) return true
    } else if (b === AT || b === COLON || b === EQUALS || b === PLUS || b === UNDERSCORE) {
      return true
    } else {
      const candidates = PREFIXES_BY_FIRST[b]
      if (candidates !== undefined && candidates.some((p) => startsAt(buf, i, end, p))) return true
    }
  }
  return false
}

const isDigit = (b: number): boolean => b >= DIGIT_0 && b <= DIGIT_9
const isUpper = (b: number): boolean => b >= UPPER_A && b <= UPPER_Z
