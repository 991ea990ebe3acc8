import { join } from 'node:path'
import pg from 'pg'
import type { PostgresTargetConfig } from './types.js'
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js'

export const DEV_DATABASE = 'analytics'
const CUSTOMERS = 200
const ORDERS = 1000

/**
 * Dev mode's database: an embedded PostgreSQL under data_dir holding `analytics`, seeded once with
 * customers and orders full of fake PII, and the `analytics` target that points gatehouse at it.
 */
export async function startDevDatabase (opts: { dataDir: string; onLog?: (line: string) => void }): Promise<{ db: EmbeddedPostgres; target: PostgresTargetConfig }> {
  const db = await startEmbeddedPostgres({ dataDir: join(opts.dataDir, 'pg'), ...(opts.onLog !== undefined ? { onLog: opts.onLog } : {}) })
  try {
    await seed(db)
  } catch (err) {
    await db.stop()
    throw err
  }
  return {
    db,
    target: {
      name: DEV_DATABASE,
      protocol: 'postgres',
      upstream: `postgres://${db.user}@${db.host}:${db.port}/${DEV_DATABASE}`,
      passwordFile: db.passwordFile,
      upstreamTls: 'disable'
    }
  }
}

async function seed (db: EmbeddedPostgres): Promise<void> {
  const connect = async (database: string): Promise<pg.Client> => {
    const c = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database })
    await c.connect()
    return c
  }
  const admin = await connect('postgres')
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DEV_DATABASE])
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DEV_DATABASE}`)
  } finally {
    await admin.end()
  }
  const c = await connect(DEV_DATABASE)
  try {
    const seeded = await c.query("SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'orders'")
    if (seeded.rowCount !== 0) return
    await c.query('BEGIN')
    await c.query(`CREATE TABLE customers (
      id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, phone text,
      card_number text, ssn text, city text, created_at timestamptz NOT NULL DEFAULT now())`)
    await c.query(`CREATE TABLE orders (
      id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), product text NOT NULL,
      amount_cents int NOT NULL, status text NOT NULL, ordered_at timestamptz NOT NULL)`)
    const rand = lcg(20261125)
    for (let i = 0; i < CUSTOMERS; i++) {
      const first = pick(rand, FIRST)
      const last = pick(rand, LAST)
      await c.query('INSERT INTO customers (name, email, phone, card_number, ssn, city) VALUES ($1, $2, $3, $4, $5, $6)', [
        `${first} ${last}`,
        `${first}.${last}${i}@${pick(rand, DOMAINS)}`.toLowerCase(),
        phone(rand),
        cardNumber(rand),
        ssn(rand),
        pick(rand, CITIES)
      ])
    }
    for (let i = 0; i < ORDERS; i++) {
      await c.query("INSERT INTO orders (customer_id, product, amount_cents, status, ordered_at) VALUES ($1, $2, $3, $4, now() - ($5 || ' hours')::interval)", [
        1 + Math.floor(rand() * CUSTOMERS), pick(rand, PRODUCTS), 500 + Math.floor(rand() * 50_000), pick(rand, STATUSES), Math.floor(rand() * 24 * 90)
      ])
    }
    await c.query('COMMIT')
  } finally {
    await c.end()
  }
}

/** Deterministic, so every dev database holds the same people. */
function lcg (seed: number): () => number {
  let s = seed >>> 0
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 }
}

function pick<T> (rand: () => number, list: readonly T[]): T { return list[Math.floor(rand() * list.length)] }

function digits (rand: () => number, n: number): string {
  let out = ''
  for (let i = 0; i < n; i++) out += String(Math.floor(rand() * 10))
  return out
}

/** Area codes in service: a random 3-digit code is often unassigned, which no phone validator accepts. */
const AREA_CODES = ['212', '213', '206', '303', '312', '415', '512', '617', '646', '702', '718', '305']

function phone (rand: () => number): string {
  const style = Math.floor(rand() * 3)
  if (style === 0) return `(${pick(rand, AREA_CODES)}) 555-${digits(rand, 4)}`
  if (style === 1) return `+1 ${pick(rand, AREA_CODES)}-555-${digits(rand, 4)}`
  return `+44 20 7946 ${digits(rand, 4)}`
}

/** A Luhn-valid 16-digit number on a test-card prefix. */
function cardNumber (rand: () => number): string {
  const body = pick(rand, ['4111', '5555', '4012']) + digits(rand, 11)
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i])
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9 }
    sum += d
  }
  const full = body + String((10 - (sum % 10)) % 10)
  return full.replace(/(\d{4})(?=\d)/g, '$1 ')
}

/** Area 001-665 (never 000 or 666), group and serial never zero: a valid-looking SSN. */
function ssn (rand: () => number): string {
  let area = 1 + Math.floor(rand() * 665)
  if (area === 666) area = 667
  const group = 1 + Math.floor(rand() * 99)
  const serial = 1 + Math.floor(rand() * 9999)
  return `${String(area).padStart(3, '0')}-${String(group).padStart(2, '0')}-${String(serial).padStart(4, '0')}`
}

const FIRST = ['Alice', 'Bob', 'Carmen', 'Deepak', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jamal', 'Katya', 'Liam', 'Mei', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tariq']
const LAST = ['Anders', 'Baker', 'Chen', 'Dubois', 'Evans', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Moreau', 'Nakamura', 'Okafor', 'Patel', 'Rossi', 'Silva', 'Tanaka', 'Weber']
const DOMAINS = ['example.com', 'example.org', 'mail.example.net']
const CITIES = ['Lisbon', 'Berlin', 'Austin', 'Toronto', 'Osaka', 'Nairobi', 'Lyon', 'Denver']
const PRODUCTS = ['notebook', 'desk lamp', 'headphones', 'monitor', 'keyboard', 'backpack', 'water bottle', 'chair']
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'refunded']
