/**
 * Masking of what a PostgreSQL server sends back: result rows (DataRow), COPY ... TO STDOUT data and the
 * values errors and notices echo, under the mask rules that apply to responses. The relay calls it; it
 * does no I/O of its own except catalog lookups through the query function it is given.
 * How it works and how the relay calls it: docs/postgres-masking.md.
 */
export { ColumnResolver, DEFAULT_CATALOG_MAX_AGE_MS, type CatalogQuery, type ColumnResolverOptions } from './column-resolver.js'
export { qualifiedName, type ColumnName, type ResolvedColumn } from './column-name.js'
export { copyOutRefusal, copyOutRefusalResolved, CopyOutMasker, MAX_COPY_ROW_BYTES, type CopyOutMaskerOptions } from './copy-out-masker.js'
export { copyOutStatements, DEFAULT_COPY_TEXT, type CopyOutStatement } from './copy-statement.js'
export { MaskCounts } from './mask-counts.js'
export { maskNoticeFrame } from './notice-masker.js'
export { ResponseMasking, responseMaskingCache, type ResponseMaskingOptions } from './response-masking.js'
export { withResultFormats } from './result-formats.js'
export { RowMasker, type MaskedRow, type RowMaskerOptions } from './row-masker.js'
export { typeFamily, type TypeFamily } from './type-family.js'
