import { ProtocolError } from '../../../core/errors.js'
import type { FieldDescription } from '../messages/row-description.js'

/**
 * A prepared statement's fields (from Describe of the statement, where every format reads 0) with the
 * result formats a Bind asked for: none means all text, one applies to every column, else one per column.
 * What a portal's DataRows use when Execute comes without a Describe of the portal.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-BIND
 */
export function withResultFormats (fields: readonly FieldDescription[], resultFormats: readonly number[]): FieldDescription[] {
  if (resultFormats.length > 1 && resultFormats.length !== fields.length) {
    throw new ProtocolError(`Bind has ${resultFormats.length} result formats for ${fields.length} columns`)
  }
  return fields.map((f, i) => ({ ...f, format: resultFormats.length === 0 ? 0 : resultFormats.length === 1 ? resultFormats[0] : resultFormats[i] }))
}
