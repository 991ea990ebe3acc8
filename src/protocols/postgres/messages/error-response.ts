import { BACKEND, Reader, Writer } from '../codec/index.js'

/**
 * ErrorResponse (B), and NoticeResponse which has the same body: typed fields, each a one-byte code and a cstring.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ERRORRESPONSE
 * @see https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
export const ERROR_RESPONSE = BACKEND.ERROR_RESPONSE

export type Severity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG'

export interface ErrorFields {
  severity: Severity
  /** SQLSTATE, five characters. */
  code: string
  message: string
  detail?: string
  hint?: string
  /** Any other field, by its code letter. */
  other?: Record<string, string>
}

const FIELD = { SEVERITY: 'S', SEVERITY_V: 'V', CODE: 'C', MESSAGE: 'M', DETAIL: 'D', HINT: 'H' } as const

export function decodeErrorFields (body: Buffer): ErrorFields {
  const r = new Reader(body)
  const all: Record<string, string> = {}
  for (;;) {
    const t = r.byte()
    if (t === 0) break
    all[String.fromCharCode(t)] = r.cstring()
  }
  r.end('ErrorResponse')
  const { S, V, C, M, D, H, ...other } = all
  return {
    severity: (V ?? S ?? 'ERROR') as Severity,
    code: C ?? 'XX000',
    message: M ?? '',
    ...(D !== undefined ? { detail: D } : {}),
    ...(H !== undefined ? { hint: H } : {}),
    ...(Object.keys(other).length > 0 ? { other } : {})
  }
}

export function encodeErrorResponse (f: ErrorFields): Buffer {
  const w = new Writer()
  const put = (k: string, v: string | undefined): void => { if (v !== undefined) w.byte(k.charCodeAt(0)).cstring(v) }
  put(FIELD.SEVERITY, f.severity)
  put(FIELD.SEVERITY_V, f.severity)
  put(FIELD.CODE, f.code)
  put(FIELD.MESSAGE, f.message)
  put(FIELD.DETAIL, f.detail)
  put(FIELD.HINT, f.hint)
  for (const [k, v] of Object.entries(f.other ?? {})) put(k, v)
  return w.byte(0).frame(ERROR_RESPONSE)
}
