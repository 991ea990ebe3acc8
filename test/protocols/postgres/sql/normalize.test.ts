import t from 'tap'
import fc from 'fast-check'
import { createSqlAnalyzer } from '../../../../src/protocols/postgres/sql/index.js'

t.test('literals become placeholders in queries', async t => {
  const analyzer = await createSqlAnalyzer()
  t.equal(analyzer.normalize("SELECT * FROM customers WHERE email = 'ann@example.com' AND id > 42"),
    'SELECT * FROM customers WHERE email = $1 AND id > $2')
  t.equal(analyzer.normalize("INSERT INTO t VALUES (1, 'a'), (2, 'b')"), 'INSERT INTO t VALUES ($1, $2), ($3, $4)')
  t.equal(analyzer.normalize('SELECT * FROM t WHERE id = $1 AND a = 5'), 'SELECT * FROM t WHERE id = $1 AND a = $2',
    'numbering continues after the client\'s own parameters')
  t.equal(analyzer.normalize("SELECT 'é' FROM \"tablé\" WHERE x = 'ü'"), 'SELECT $1 FROM "tablé" WHERE x = $2', 'non-ASCII text around literals survives')
  t.equal(analyzer.normalize(''), '')
})

t.test('the second pass keeps multi-byte names intact (scanner offsets are bytes)', async t => {
  const analyzer = await createSqlAnalyzer()
  t.equal(analyzer.normalize('CREATE VIEW "v😀" AS SELECT \'x😀\' AS "é", \'ü\''), 'CREATE VIEW "v😀" AS SELECT $1 AS "é", $2')
})

t.test('literals that libpg-query leaves in utility statements are removed too', async t => {
  const analyzer = await createSqlAnalyzer()
  const cases: Array<[string, string[]]> = [
    ["EXECUTE p('ann@example.com', 4111111111111111)", ['ann@example.com', '4111111111111111']],
    ['EXECUTE p(.25, 7e5, 0x1F, 1_000)', ['.25', '7e5', '0x1F', '1_000']],
    ["PREPARE p AS SELECT * FROM t WHERE email = 'ann@example.com'", ['ann@example.com']],
    ["CREATE VIEW v AS SELECT 'hunter2' AS secret", ['hunter2']],
    ["COPY t FROM '/srv/secret/file.csv'", ['/srv/secret']],
    ["ALTER ROLE u PASSWORD 'hunter2'", ['hunter2']],
    ["CREATE USER u WITH PASSWORD 'hunter2'", ['hunter2']],
    ["CREATE TABLE t (a text DEFAULT 'hunter2', CHECK (a <> 'other-secret'))", ['hunter2', 'other-secret']],
    ["ALTER SYSTEM SET work_mem = '1234MB'", ['1234MB']],
    ["DO $$ BEGIN PERFORM 'hunter2'; END $$", ['hunter2']],
    ["SELECT U&'hunt\\0065r2', X'DEADBEEF', B'10101', E'esc\\tsecret', 1.5e3, $tag$dollar-secret$tag$", ['hunt', 'DEADBEEF', '10101', 'secret', '1.5e3']],
    ["COMMENT ON TABLE t IS 'ann@example.com'", ['ann@example.com']],
    ["SELECT 1; UPDATE t SET card = '4111111111111111' WHERE id = 7", ['4111111111111111']]
  ]
  for (const [sql, secrets] of cases) {
    const normalized = analyzer.normalize(sql)
    for (const secret of secrets) t.notOk(normalized.includes(secret), `${sql} -> ${normalized}`)
    t.match(normalized, /\$\d/, `${sql}: placeholders written`)
  }
})

t.test('text that does not parse is never echoed', async t => {
  const analyzer = await createSqlAnalyzer()
  for (const sql of [
    "SELEC * FROM t WHERE email = 'ann@example.com'",
    "SELECT 'hunter2", // an unterminated literal
    "SELECT 'a'\0; SELECT 'hunter2'" // a NUL byte
  ]) t.equal(analyzer.normalize(sql), `<unparseable sql, ${sql.length} chars>`)
  t.equal(analyzer.normalize(null as unknown as string), '<unparseable sql, 0 chars>')
})

t.test('property: a literal never survives normalization, parseable or not', async t => {
  const analyzer = await createSqlAnalyzer()
  // The marker cannot occur in the SQL around it, so finding it means a literal leaked.
  const secret = fc.string({ minLength: 1, maxLength: 40 }).map(s => 'Zq' + s.replace(/\0/g, ''))
  const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`
  const templates = [
    (s: string) => `SELECT * FROM t WHERE a = ${quote(s)}`,
    (s: string) => `UPDATE t SET a = ${quote(s)} WHERE b IN (${quote(s)}, 1)`,
    (s: string) => `EXECUTE p(${quote(s)})`,
    (s: string) => `CREATE VIEW v AS SELECT ${quote(s)}`,
    (s: string) => `SELEC ${quote(s)}`,
    (s: string) => `SELECT ${quote(s)}, (`,
    (s: string) => `SELECT '${s}`
  ]
  fc.assert(fc.property(secret, fc.integer({ min: 0, max: templates.length - 1 }), (s, i) => {
    return !analyzer.normalize(templates[i](s)).includes('Zq')
  }), { numRuns: 2000 })
  t.pass('2000 random literals, none leaked')
})
