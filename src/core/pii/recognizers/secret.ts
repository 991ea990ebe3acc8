import { asciiTable } from '../ascii-class.js'
import { regexRecognizer, type Span } from '../regex-recognizer.js'
import { precededBy } from '../trigger-conditions.js'
import { TRIGGER_LOOKBACK_CHARS, type Recognizer } from '../types.js'

const SECRET = 'SECRET'
const PRIORITY = 90
/**
 * Characters of the URL-safe base64 alphabet plus '.', what tokens and JWTs are made of. Token
 * regexes end before a word character but may end before '-', so "sk-...-AA-fe80::1" keeps its key.
 */
const TOKEN_CHARS = /[A-Za-z0-9_.-]/

/** The start of a code expression (`process.env.KEY`, `os.environ[`, `getenv(`), not a value. */
const CODE_EXPRESSION = /^[A-Za-z_$][\w$]*[.[(]/

/** Every key=value key word contains one of these. */
const KEY_HINT = /pass|pwd|secret|api|token|priv/gi

/** The key words of key=value settings (letters, '_' and '-': no regex syntax). */
const KEYS = ['password', 'passwd', 'pwd', 'secret', 'client_secret', 'secret_key', 'api_key', 'apikey', 'api-key', 'access_token', 'auth_token', 'private_key', 'aws_secret_access_key']
const COLON = 0x3a // ':'
const SLASH = 0x2f // '/'
const TAB = 0x09
const SPACE = 0x20
const QUOTE = 0x22 // '"'
const APOSTROPHE = 0x27 // "'"
const lower = (c: number): number => (c >= 65 && c <= 90 ? c | 0x20 : c)
/** The last two letters of a key, lower-cased, as one number. */
const KEY_ENDINGS = new Set(KEYS.map((k) => k.charCodeAt(k.length - 2) * 128 + k.charCodeAt(k.length - 1)))

/**
 * text[i] (':' or '=') follows a key's last two letters (ASCII case folded, as the 'i' flag does
 * without 'u'), then an optional quote and up to 3 blanks: what the key=value regex has before it.
 */
function followsKey (text: string, i: number): boolean {
  let j = i - 1
  for (let blanks = 0; blanks < 3 && (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB); blanks++) j--
  if (text.charCodeAt(j) === QUOTE || text.charCodeAt(j) === APOSTROPHE) j--
  return j >= 1 && KEY_ENDINGS.has(lower(text.charCodeAt(j - 1)) * 128 + lower(text.charCodeAt(j)))
}

/** Characters of a URL user name (the URL password regex's class for it). */
const USER_CHARS = asciiTable(/[A-Za-z0-9!$%&()*+,\-.;=^_|~]/)

/** text[i] (':') follows '://' and a user name (or more user name characters than we may read). */
function followsUrlUser (text: string, i: number): boolean {
  for (let j = i - 1; ; j--) {
    if (j - 2 < i - TRIGGER_LOOKBACK_CHARS) return true
    if (j < 2) return false
    const c = text.charCodeAt(j)
    if (c === SLASH) return text.charCodeAt(j - 1) === SLASH && text.charCodeAt(j - 2) === COLON
    if (c >= 128 || USER_CHARS[c] === 0) return false
  }
}

const whole = (m: RegExpExecArray, score = 0.95): Span => ({ start: m.index, end: m.index + m[0].length, score })

/** Random keys mix cases and digits; a word-like "sk-this-is-not-a-key" does not. */
function looksRandom (s: string): boolean {
  let digits = 0
  let upper = 0
  let lower = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) digits++
    else if (c >= 65 && c <= 90) upper++
    else if (c >= 97 && c <= 122) lower++
  }
  return digits >= 2 && upper + lower >= 8 && (upper >= 2 || digits >= 6)
}

/** Group 1 of a match whose regex ends right after the group plus `tail` characters. */
function groupSpan (m: RegExpExecArray, tail: number, score: number): Span {
  const end = m.index + m[0].length - tail
  return { start: end - (m[1]?.length ?? 0), end, score }
}

/**
 * SECRET: provider keys (OpenAI, Anthropic, AWS, GitHub, Slack, Stripe), JWTs, PEM private-key
 * blocks, passwords in connection URLs and in key=value settings. `maxMatchChars` bounds JWTs and
 * PEM blocks, the only secrets without a natural length limit.
 * @see https://docs.github.com/en/code-security/secret-scanning/introduction/supported-secret-scanning-patterns
 */
export function secretRecognizers (maxMatchChars: number): Recognizer[] {
  const jwtPart = Math.floor((maxMatchChars - 2) / 3)
  return [
    // OpenAI (sk-, sk-proj-, sk-svcacct-, sk-admin-) and Anthropic (sk-ant-api03-, sk-ant-admin01-).
    regexRecognizer({
      entity: SECRET, priority: PRIORITY, maxLength: 3 + 250 + 1,
      re: /(?<![\w-])sk-[A-Za-z0-9_-]{20,250}(?!\w)/g,
      needs: ['sk-'],
      trigger: { chars: '-', lead: 2, confirm: precededBy('sk') },
      pending: { chars: TOKEN_CHARS },
      check: (m) => (looksRandom(m[0]) ? whole(m) : null)
    }),
    // AWS access key ids.
    regexRecognizer({
      entity: SECRET, priority: PRIORITY, maxLength: 21,
      re: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
      needs: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
      // Every prefix ends with 'A', 3 characters in.
      trigger: { chars: 'A', lead: 3, confirm: precededBy('AKI', 'ASI', 'ABI', 'ACC') },
      pending: { chars: /[A-Za-z0-9]/ },
      check: (m) => whole(m)
    }),
    // GitHub classic and fine-grained tokens.
    regexRecognizer({
      entity: SECRET, priority: PRIORITY, maxLength: 256,
      re: /(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?!\w)/g,
      needs: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
      trigger: { chars: '_', lead: 6, confirm: precededBy('ghp', 'gho', 'ghu', 'ghs', 'ghr', 'github') },
      pending: { chars: /[A-Za-z0-9_-]/ },
      check: (m) => whole(m)
    }),
    // Slack bot/user/app tokens and incoming-webhook paths.
    regexRecognizer({
      entity: SECRET, priority: PRIORITY, maxLength: 256,
      re: /(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,250}(?!\w)/g,
      needs: ['xox'],
      trigger: { chars: '-', lead: 4, confirm: precededBy('xoxa', 'xoxb', 'xoxp', 'xoxo', 'xoxs', 'xoxr') },
      pending: { chars: /[A-Za-z0-9_-]/ },
      check: (m) => (/\d/.test(m[0]) ? whole(m) : null)
    }),
    regexRecognizer({
      entity: SECRET, priority: PRIORITY, maxLength: 90, lookback: 33,
      re: /hooks\.slack\.com\/services\/(T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{20,32})(?![A-Za-z0-9])/g,
      needs: ['hooks.slack.com/'],
      trigger: { chars: '/', lead: -1, trail: 1, confirm: precededBy('services') },
      pending: { chars: /[A-Za-z0-9./]/ },
      check: (m) => groupSpan(m, 0, 0.95)
    }),
    // Stripe secret and restricted keys (publishable pk_ keys are public by design).
    regexRecognizer({
      entity: SECRET, priority: PRIORITY, maxLength: 256,
      re: /(?<![\w-])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}(?![A-Za-z0-9])/g,
      needs: ['_live_', '_test_'],
      trigger: { chars: '_', lead: 2, confirm: precededBy('sk', 'rk') },
      pending: { chars: /[A-Za-z0-9_]/ },
      check: (m) => whole(m)
    }),
    // JWS compact serialization: base64url('{"...') . base64url('{"...') . signature.
    regexRecognizer({
      entity: SECRET, priority: PRIORITY, maxLength: 3 * jwtPart + 3,
      re: new RegExp(`(?<![\\w-])eyJ[A-Za-z0-9_-]{5,${jwtPart}}\\.eyJ[A-Za-z0-9_-]{5,${jwtPart}}\\.[A-Za-z0-9_-]{0,${jwtPart}}(?!\\w|\\.[\\w-])`, 'g'),
      needs: ['eyJ'],
      trigger: { chars: 'J', lead: 2, confirm: precededBy('ey') },
      pending: { chars: TOKEN_CHARS },
      check: (m) => whole(m)
    }),
    // PEM private keys (PKCS#1, PKCS#8, EC, OpenSSH, encrypted), with real or escaped newlines. The body
    // never holds another BEGIN line: stopping there keeps a text of many headers linear (each one would
    // otherwise scan maxMatchChars ahead for its END).
    regexRecognizer({
      entity: SECRET, priority: PRIORITY, maxLength: maxMatchChars + 80,
      re: new RegExp(`-----BEGIN (?:[A-Z0-9]{1,10} ){0,3}PRIVATE KEY-----(?:(?!-----BEGIN )[\\s\\S]){16,${maxMatchChars}}?-----END (?:[A-Z0-9]{1,10} ){0,3}PRIVATE KEY-----`, 'g'),
      needs: ['-----BEGIN'],
      // The fifth '-', 4 characters in; before it a match has only '-'.
      trigger: { chars: '-', lead: 4, confirm: precededBy('----'), before: { chars: /-/ } },
      pending: { anchors: ['-----BEGIN '] },
      check: (m) => whole(m, 1)
    }),
    // The password of scheme://user:password@host URLs (database DSNs, AMQP, Redis, HTTP basic auth).
    // Users and passwords hold printable ASCII but quotes, brackets, braces, backslash and URL
    // delimiters: people paste raw '^' or '|' into DSNs, while a quote ends a URL in JSON or code.
    regexRecognizer({
      entity: SECRET, priority: PRIORITY, maxLength: 16 + 3 + 64 + 1 + 128 + 1, lookback: 16 + 3 + 64 + 1,
      re: /(?<![\w+.-])[A-Za-z][A-Za-z0-9+.-]{1,15}:\/\/[A-Za-z0-9!$%&()*+,\-.;=^_|~]{0,64}:([A-Za-z0-9!$%&()*+,\-.;=^_|~:]{1,128})@/g,
      needs: ['://'],
      // The password follows the ':' after '://' and the user name (a user name holds no ':' or '/').
      trigger: { chars: ':', lead: -1, trail: 1, confirm: followsUrlUser },
      pending: { chars: /[A-Za-z0-9!$%&()*+,\-.;=^_|~:/@]/, first: /[A-Za-z]/ },
      check: (m) => groupSpan(m, 1, 0.9)
    }),
    // password=..., "api_key": "...", DB_PASSWORD: ... in DSNs, env files, JSON and YAML.
    regexRecognizer({
      entity: SECRET, priority: PRIORITY, maxLength: 32 + 10 + 128, lookback: 32 + 10,
      re: new RegExp(`(?<![A-Za-z0-9])(?:${KEYS.join('|')})["']?[ \\t]{0,3}[:=][ \\t]{0,3}["']?([^\\s"',;&<>]{4,128})`, 'gi'),
      pending: { anchors: ['password', 'passwd', 'pwd', 'secret', 'api_key', 'apikey', 'api-key', 'access_token', 'auth_token', 'private_key'] },
      // The value follows the ':' or '=', a quote and up to 3 blanks; the ':' or '=' follows the key.
      trigger: { chars: ':=', lead: -1, trail: 5, confirm: followsKey },
      // Every key contains one of these; the key begins at most 7 characters before it (client_secret).
      starts (text, from, visit) {
        KEY_HINT.lastIndex = from
        let m: RegExpExecArray | null
        while ((m = KEY_HINT.exec(text)) !== null) {
          for (let q = Math.max(from, m.index - 7); q <= m.index; q++) visit(q)
        }
      },
      check (m) {
        const value = m[1] ?? ''
        // Already masked, or a placeholder, not a secret.
        if (/^(?:\*+|x+|\[[A-Z_]+\]|<[^>]*>|\$\{?[A-Za-z_]+\}?|null|none|true|false)$/i.test(value)) return null
        const key = m[0].slice(0, m[0].length - value.length)
        if (!/["']$/.test(key)) {
          // Unquoted, code is likelier than a password: `= req.body.password`, `= os.environ[`, `getenv(`,
          // and a bare word after ':' or ' = ' (`password: string`); `password=word` (DSN, .env) stays.
          if (CODE_EXPRESSION.test(value)) return null
          if (/^[A-Za-z]+$/.test(value) && !/[A-Za-z]=$/.test(key)) return null
        }
        return groupSpan(m, 0, 0.8)
      }
    })
  ]
}
