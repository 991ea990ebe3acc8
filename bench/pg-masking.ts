/**
 * PostgreSQL result masking throughput: a large SELECT result (DataRow frames as a server sends them,
 * read from a byte stream by the relay's FrameReader) relayed without masking, with content detection
 * only, and with two masked columns plus content detection; rows/s and the ratio to the unmasked run.
 *
 * Run: npx tsx bench/pg-masking.ts           (about 20 s)
 * Target (issue 7): masking keeps at least half of the unmasked throughput.
 */
import { FrameReader } from '../src/protocols/postgres/codec/index.js'
import { ResponseMasking, RowMasker, type ResolvedColumn } from '../src/protocols/postgres/masking/index.js'
import { encodeDataRow } from '../src/protocols/postgres/messages/data-row.js'
import { BACKEND } from '../src/protocols/postgres/codec/index.js'
import type { FieldDescription } from '../src/protocols/postgres/messages/row-description.js'

const ROWS = 200_000
const CHUNK_BYTES = 64 * 1024
const ROUNDS = 5
const CUSTOMERS_OID = 16_384

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Leslie']
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lamport']
const CITIES = ['Berlin', 'Lisbon', 'Osaka', 'Toronto', 'Nairobi', 'Lima', 'Oslo', 'Austin']
const NOTES = ['prefers email contact', 'VIP since 2019', '', 'asked for a callback', 'net 30 terms, invoice monthly', 'moved from the old CRM']
const STATUS = ['active', 'churned', 'trial']

// id int4, name text, email text (masked), phone text (masked), city text, status text, notes text, created_at timestamptz, balance numeric
const TYPES: Array<[string, number]> = [['id', 23], ['name', 25], ['email', 25], ['phone', 25], ['city', 25], ['status', 25], ['notes', 25], ['created_at', 1184], ['balance', 1700]]
const fields: FieldDescription[] = TYPES.map(([name, typeOid], i) => ({ name, tableOid: CUSTOMERS_OID, attnum: i + 1, typeOid, typeSize: -1, typeModifier: -1, format: 0 }))
const columns: ResolvedColumn[] = TYPES.map(([name]) => ({ schema: 'public', table: 'customers', column: name, typeCategory: 'S', sources: [] }))

function resultBytes (): Buffer {
  const frames: Buffer[] = []
  for (let i = 0; i < ROWS; i++) {
    const first = FIRST[i % FIRST.length]
    const last = LAST[(i * 7) % LAST.length]
    const values = [
      String(i + 1), `${first} ${last}`, `${first.toLowerCase()}.${last.toLowerCase()}${i}@example.com`,
      `+1 415 555 ${String(i % 10_000).padStart(4, '0')}`, CITIES[i % CITIES.length], STATUS[i % STATUS.length], NOTES[i % NOTES.length],
      `2025-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')} 10:${String(i % 60).padStart(2, '0')}:00+00`, `${(i % 100_000) / 100}`
    ]
    frames.push(encodeDataRow({ values: values.map((v) => (v === '' && i % 12 === 2 ? null : Buffer.from(v))) }))
  }
  return Buffer.concat(frames)
}

/** The relay loop: frames from a byte stream, each DataRow masked or forwarded as it came. */
function relay (bytes: Buffer, masker: RowMasker | undefined): number {
  const reader = new FrameReader('server')
  let out = 0
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
    reader.push(bytes.subarray(at, at + CHUNK_BYTES))
    for (let f = reader.next(); f !== undefined; f = reader.next()) {
      const sent = f.code === BACKEND.DATA_ROW && masker !== undefined ? masker.maskDataRow(f.body) ?? f.raw : f.raw
      out += sent.length
    }
  }
  return out
}

const bytes = resultBytes()
const contentOnly = new ResponseMasking([{ rule: 'pii', entities: ['EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN', 'IBAN', 'IP_ADDRESS', 'SECRET'], columns: [], applyTo: ['response'], style: 'label' }])
const withColumns = new ResponseMasking([{ rule: 'pii', entities: ['EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN', 'IBAN', 'IP_ADDRESS', 'SECRET'], columns: ['customers.email', 'customers.phone'], applyTo: ['response'], style: 'label' }])
const variants: Array<[string, () => RowMasker | undefined]> = [
  ['unmasked (pass-through)', () => undefined],
  ['content detection only', () => new RowMasker({ fields, columns, masking: contentOnly })],
  ['2 masked columns + content', () => new RowMasker({ fields, columns, masking: withColumns })]
]

const check = new RowMasker({ fields, columns, masking: withColumns })
relay(bytes, check)
if ((check.counts.toRecord().EMAIL ?? 0) !== ROWS || (check.counts.toRecord().PHONE ?? 0) !== ROWS) throw new Error(`unexpected counts ${JSON.stringify(check.counts.toRecord())}`)

// Rounds interleave the variants so load from other processes hits them alike; best of each.
const best = new Map<string, number>()
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, make] of variants) {
    const masker = make()
    const t0 = performance.now()
    relay(bytes, masker)
    const rowsPerS = ROWS / ((performance.now() - t0) / 1000)
    best.set(name, Math.max(best.get(name) ?? 0, rowsPerS))
  }
}
const base = best.get(variants[0][0]) ?? 1
console.log(`${ROWS} rows x ${fields.length} columns, ${(bytes.length / 1e6).toFixed(1)} MB of DataRow frames, best of ${ROUNDS}`)
for (const [name] of variants) {
  const v = best.get(name) ?? 0
  console.log(`${name.padEnd(28)} ${Math.round(v).toLocaleString('en-US').padStart(12)} rows/s   ${(v / base).toFixed(3)} of unmasked`)
}
