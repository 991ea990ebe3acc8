/**
 * What a column's type means for masking. A masked value must stay valid for its type wherever the
 * client parses it: text-like types take the style's text, json/jsonb a JSON string, anything else
 * (numbers, dates, arrays, inet, ...) becomes NULL because a label is not a valid value of it. Content
 * found inside a number or an address makes the value NULL for the same reason; inside any other type
 * (arrays, records, xml) it is replaced in place, which keeps those literals parseable.
 * @see https://www.postgresql.org/docs/current/catalog-pg-type.html (OIDs from pg_type.dat)
 */
export type TypeFamily = 'text' | 'json' | 'jsonb' | 'opaque' | 'number' | 'strict' | 'other'

const TEXT_OIDS = new Set([
  25, // text
  1043, // varchar
  1042, // bpchar
  19, // name
  18, // "char"
  705 // unknown (untyped literals)
])
export const JSON_OID = 114
export const JSONB_OID = 3802

/**
 * Types whose text form no built-in recognizer can report: their values are never scanned. Integers up to
 * int4 have at most 10 digits, which alone score below MIN_SCORE as a phone or SSN; floats print at most 17
 * significant digits, in exponent form when large. int8 and numeric can hold a card number: scanned.
 */
const OPAQUE_OIDS = new Set([
  16, // bool
  21, // int2
  23, // int4
  26, // oid
  700, // float4
  701, // float8
  1082, // date
  1083, // time
  1266, // timetz
  1114, // timestamp
  1184, // timestamptz
  1186, // interval
  2950 // uuid
])

/**
 * Numbers that can hold a card number (int8, numeric, money): only a long integer part can be one, and a
 * label inside a number would not parse, so a finding makes the value NULL.
 */
const NUMBER_OIDS = new Set([
  20, // int8
  1700, // numeric
  790 // money
])

/** Scalars with a strict syntax (addresses): a finding in one makes it NULL rather than invalid. */
const STRICT_OIDS = new Set([
  869, // inet
  650, // cidr
  829, // macaddr
  774 // macaddr8
])

/** pg_type.typcategory of string types (citext, domains over text, ...). */
const STRING_CATEGORY = 'S'

/** The family of a type OID; `typeCategory` (from the catalog) classifies types created at run time (citext). */
export function typeFamily (typeOid: number, typeCategory?: string): TypeFamily {
  if (TEXT_OIDS.has(typeOid)) return 'text'
  if (typeOid === JSON_OID) return 'json'
  if (typeOid === JSONB_OID) return 'jsonb'
  if (OPAQUE_OIDS.has(typeOid)) return 'opaque'
  if (NUMBER_OIDS.has(typeOid)) return 'number'
  if (STRICT_OIDS.has(typeOid)) return 'strict'
  if (typeCategory === STRING_CATEGORY) return 'text'
  return 'other'
}
