import type { AuditEntry } from '../../../src/core/audit/index.js'

/** A realistic decided Postgres request; overrides replace top-level entry fields. */
export function sampleEntry (n = 1, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    event: {
      id: `evt-${n}`,
      session: { id: 'sess-1', protocol: 'postgres', target: 'analytics', client: { address: '127.0.0.1' } },
      identity: { sub: 'alice', iss: 'https://idp.example.com/', groups: ['analysts'], via: 'oidc', expiresAt: 1_900_000_000 },
      phase: 'request',
      sql: { text: `SELECT * FROM customers WHERE id = ${n}`, statements: [{ operation: 'select', tables: [{ name: 'customers', access: 'read' }] }] }
    },
    decision: { action: n % 2 === 0 ? 'deny' : 'allow', rules: ['allow-analysts'], shadow: ['shadow-no-pii'], masks: [], limits: [], policyRevision: 'abc123' },
    requestId: `req-${n}`,
    summary: { sql: 'SELECT * FROM customers WHERE id = $1' },
    masked: { EMAIL: 2 },
    usage: { rows: 3 },
    latencyMs: 1.5,
    ...overrides
  }
}
