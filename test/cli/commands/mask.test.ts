import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const BIN = fileURLToPath(new URL('../../../bin/gatehouse.js', import.meta.url))
// A directory without gatehouse.yaml or policies: dev-mode defaults, built-in recognizers only.
const cwd = mkdtempSync(join(tmpdir(), 'gh-mask-'))
t.teardown(() => rmSync(cwd, { recursive: true, force: true }))

function run (args: string[], stdin: string, dir = cwd): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'mask', ...args], { cwd: dir })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })
}

t.test('plain mode masks stdin to stdout', async (t) => {
  const r = await run([], 'Mail bob@example.com or call (415) 555-2671\ncard 4111 1111 1111 1111\n')
  t.equal(r.code, 0)
  t.equal(r.stdout, 'Mail [EMAIL] or call [PHONE]\ncard [CREDIT_CARD]\n')
})

t.test('--json prints the masked text and the findings', async (t) => {
  const r = await run(['--json'], 'host 10.0.0.1')
  t.equal(r.code, 0)
  t.same(JSON.parse(r.stdout), { masked: 'host [IP_ADDRESS]', findings: [{ type: 'IP_ADDRESS', start: 5, end: 13, score: 0.7 }] })
})

t.test('--jsonl gives one output line per input line, with ids and JS-index offsets', async (t) => {
  const input = [
    { id: 1, text: 'a@b.co' },
    { id: 'x-2', text: '😀 ssn 123-45-6789' },
    { id: 3, text: 'nothing here' }
  ].map((o) => JSON.stringify(o)).join('\n') + '\n'
  const r = await run(['--jsonl'], input)
  t.equal(r.code, 0)
  t.equal(r.stderr, '')
  t.same(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)), [
    { id: 1, masked: '[EMAIL]', findings: [{ type: 'EMAIL', start: 0, end: 6, score: 0.9 }] },
    { id: 'x-2', masked: '😀 ssn [US_SSN]', findings: [{ type: 'US_SSN', start: 7, end: 18, score: 1 }] },
    { id: 3, masked: 'nothing here', findings: [] }
  ])
})

t.test('--jsonl reports malformed lines by number without echoing them, goes on, and exits 1', async (t) => {
  const r = await run(['--jsonl'], '{"id":1,"text":"a@b.co"}\nnot json bob@example.com\n{"id":2}\n\n["text"]\n{"id":3,"text":"c@d.io"}\n')
  t.equal(r.code, 1)
  t.same(r.stderr.trimEnd().split('\n'), [
    'gatehouse mask: line 2: not valid JSON',
    'gatehouse mask: line 3: expected an object {"id": .., "text": "<string>"}',
    'gatehouse mask: line 5: expected an object {"id": .., "text": "<string>"}'
  ])
  t.notMatch(r.stderr, /bob@example/, 'the bad line may hold PII; it is not printed')
  t.same(r.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: number }).id), [1, 3])
})

t.test('--entities masks only the named types; an unknown one is a usage error', async (t) => {
  const r = await run(['--entities', 'email'], 'a@b.co 10.0.0.1\n')
  t.equal(r.stdout, '[EMAIL] 10.0.0.1\n')
  const bad = await run(['--entities', 'EMAIL,FOO'], '')
  t.equal(bad.code, 2)
  t.match(bad.stderr, /unknown entity FOO/)
})

t.test('--json with --jsonl is a usage error', async (t) => {
  const r = await run(['--json', '--jsonl'], '')
  t.equal(r.code, 2)
  t.match(r.stderr, /cannot be combined/)
})

t.test('custom recognizers of the configured policies are used', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-mask-pol-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'gatehouse.yaml'), 'policies:\n  dir: ./pol\n')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(join(dir, 'pol'))
  writeFileSync(join(dir, 'pol', 'mask.yaml'), 'id: mask-employee-ids\naction: mask\nmask:\n  recognizers:\n    - entity: EMPLOYEE_ID\n      pattern: "EMP-[0-9]{6}"\n  style: label\n')
  const r = await run([], 'owner EMP-123456 a@b.co\n', dir)
  t.equal(r.stdout, 'owner [EMPLOYEE_ID] [EMAIL]\n', r.stderr)
})

t.test('a large input streams through (200k lines)', async (t) => {
  const line = 'order 48213 shipped to a@b.co on 2024-01-15\n'
  const r = await run([], line.repeat(200_000))
  t.equal(r.code, 0)
  t.equal(r.stdout, 'order 48213 shipped to [EMAIL] on 2024-01-15\n'.repeat(200_000))
})

t.test('a reader that goes away (| head) ends the command quietly', async (t) => {
  const child = spawn(process.execPath, [BIN, 'mask'], { cwd })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  child.stdout.once('data', () => child.stdout.destroy())
  child.stdin.on('error', () => {}) // the child may exit before all input is written
  child.stdin.end('mail a@b.co and more text\n'.repeat(400_000))
  const [code] = await once(child, 'close') as [number | null]
  t.equal(code, 0)
  t.equal(stderr, '')
})
