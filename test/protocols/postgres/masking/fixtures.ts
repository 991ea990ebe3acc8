import type { MaskSpec, MaskStyle } from '../../../../src/core/events/index.js'
import { ResponseMasking } from '../../../../src/protocols/postgres/masking/index.js'
import type { FieldDescription } from '../../../../src/protocols/postgres/messages/row-description.js'

export const HASH_KEY = Buffer.alloc(32, 7)

export function spec (over: Partial<MaskSpec> = {}): MaskSpec {
  return { rule: 'mask-pii', entities: ['EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN'], columns: ['customers.email', 'customers.phone'], applyTo: ['response'], style: 'label', ...over }
}

export const masking = (style: MaskStyle = 'label', over: Partial<MaskSpec> = {}): ResponseMasking =>
  new ResponseMasking([spec({ style, ...over })], { hashKey: HASH_KEY })

export const TEXT = 25
export const INT4 = 23
export const JSON_TYPE = 114
export const JSONB = 3802

export function field (name: string, over: Partial<FieldDescription> = {}): FieldDescription {
  return { name, tableOid: 0, attnum: 0, typeOid: TEXT, typeSize: -1, typeModifier: -1, format: 0, ...over }
}

export const col = (table: string, column: string, sources: Array<{ schema: string; table: string; column: string }> = []) =>
  ({ schema: 'public', table, column, typeCategory: 'S', sources })

export const b = (s: string): Buffer => Buffer.from(s, 'utf8')
