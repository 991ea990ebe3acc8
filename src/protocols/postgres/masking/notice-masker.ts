import { Reader, Writer } from '../codec/index.js'
import type { MaskCounts } from './mask-counts.js'
import type { ResponseMasking } from './response-masking.js'

/**
 * Fields of ErrorResponse/NoticeResponse that can echo data: message, detail, hint, context (Where) and
 * internal query. The others (severity, code, position, schema/table/column names, source location)
 * are left as they are.
 * @see https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
const VALUE_FIELDS = new Set(['M', 'D', 'H', 'W', 'q'].map((c) => c.charCodeAt(0)))
const SCHEMA_FIELD = 0x73 // 's'
const TABLE_FIELD = 0x74 // 't'

/**
 * Detail texts that list a row's values (unique and foreign keys, the failing row of a constraint); the
 * key's columns may be expressions (`Key (lower(email))=(...)`).
 * @see https://github.com/postgres/postgres/blob/master/src/backend/access/nbtree/nbtinsert.c (errdetail texts)
 */
const KEY_VALUES = /^(Key \(.*?\)=\()(.*)(\) (?:already exists|is not present in table .*|is still referenced from table .*)\.)$/s
const FAILING_ROW = /^(Failing row contains \()(.*)(\)\.)$/s
/** Other texts that echo key values (exclusion constraints list two rows): withheld whole. */
const OTHER_KEY_TEXT = /^(?:Key |Failing row)/
const WITHHELD = '[REDACTED]'

/**
 * An ErrorResponse or NoticeResponse frame with values masked by content detection; when the error names a
 * table (field 't') of which a rule masks columns, the values a Detail lists are withheld whole. Field
 * order and codes are kept. Undefined when nothing changed (relay the original frame).
 */
export function maskNoticeFrame (code: number, body: Buffer, masking: ResponseMasking, counts: MaskCounts): Buffer | undefined {
  const r = new Reader(body)
  const fields: Array<[number, string]> = []
  for (let t = r.byte(); t !== 0; t = r.byte()) fields.push([t, r.cstring()])
  const schema = fields.find(([t]) => t === SCHEMA_FIELD)?.[1]
  const table = fields.find(([t]) => t === TABLE_FIELD)?.[1]
  const isTableMasked = table !== undefined && masking.namesColumnsOf(schema, table)
  let isChanged = false
  for (const f of fields) {
    if (!VALUE_FIELDS.has(f[0])) continue
    let text = f[1]
    if (isTableMasked) {
      const m = KEY_VALUES.exec(text) ?? FAILING_ROW.exec(text)
      if (m !== null) {
        counts.add('REDACTED')
        text = m[1] + WITHHELD + m[3]
      } else if (OTHER_KEY_TEXT.test(text)) {
        counts.add('REDACTED')
        text = WITHHELD
      }
    }
    text = masking.maskText(text, counts)
    if (text !== f[1]) {
      f[1] = text
      isChanged = true
    }
  }
  if (!isChanged) return undefined
  const w = new Writer()
  for (const [t, v] of fields) w.byte(t).cstring(v)
  return w.byte(0).frame(code)
}
