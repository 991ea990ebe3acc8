import t from 'tap'
import { compileRules, event, problemsOf } from './policy-fixtures.js'

// Each broken file and the exact problems `gatehouse policy check` prints for it.
const BROKEN: Array<{ name: string; text: string; want: string[] }> = [
  {
    name: 'YAML syntax error',
    text: 'id: a\nmatch: { protocol: postgres\naction: deny\n',
    want: ['f.yaml:3:1: Flow map in block collection must be sufficiently indented and end with a }']
  },
  {
    name: 'unknown keys with a suggestion',
    text: 'id: a\nactoin: deny\nmatch:\n  identity: { grups: [x] }\n',
    want: [
      "f.yaml:1:1: rule 'a' has no action (one of allow, deny, mask, rate_limit, require_approval)",
      "f.yaml:2:1: unknown key 'actoin' in a rule (did you mean 'action'?)",
      "f.yaml:4:15: unknown key 'grups' in match.identity (did you mean 'groups'?)"
    ]
  },
  {
    name: 'wrong types',
    text: 'id: a\naction: deny\nmatch:\n  target: { a: 1 }\n  sql: { without_where: "yes" }\n',
    want: [
      'f.yaml:4:11: match.target must be a string or a list of strings, got a mapping',
      "f.yaml:5:25: match.sql.without_where must be true or false, got 'yes'"
    ]
  },
  {
    name: 'missing id and action',
    text: 'description: nothing here\n',
    want: ['f.yaml:1:1: rule has no id', 'f.yaml:1:1: rule has no action (one of allow, deny, mask, rate_limit, require_approval)']
  },
  {
    name: 'unknown sql operation and action with suggestions',
    text: 'id: a\naction: alow\nmatch: { sql: { operations: [select, delet] } }\n',
    want: [
      "f.yaml:2:9: action must be one of allow, deny, mask, rate_limit, require_approval, got 'alow' (did you mean 'allow'?)",
      "f.yaml:3:38: unknown sql operation 'delet' (did you mean 'delete'?)"
    ]
  },
  {
    name: 'unknown entity',
    text: 'id: a\naction: mask\nmask: { entities: [EMAIL, EMAL, SSN] }\n',
    want: [
      "f.yaml:3:27: unknown entity 'EMAL' (did you mean 'EMAIL'?); known: EMAIL, PHONE, CREDIT_CARD, US_SSN, IBAN, IP_ADDRESS, SECRET",
      "f.yaml:3:33: unknown entity 'SSN' (did you mean 'US_SSN'?); known: EMAIL, PHONE, CREDIT_CARD, US_SSN, IBAN, IP_ADDRESS, SECRET"
    ]
  },
  {
    name: 'regexes RE2 rejects (backreference, lookahead) in prompt patterns and recognizers',
    text: "id: a\naction: deny\nmatch:\n  prompt:\n    patterns: ['(a+)\\1', '(?!x)y']\n---\nid: b\naction: mask\nmask:\n  recognizers:\n    - { entity: EMP, pattern: '(?<=EMP-)\\d+' }\n",
    want: [
      'f.yaml:5:16: match.prompt.patterns[0]: invalid RE2 pattern: invalid escape sequence: `\\1` (RE2 has no backreferences or lookaround)',
      'f.yaml:5:26: match.prompt.patterns[1]: invalid RE2 pattern: invalid or unsupported Perl syntax: `(?!` (RE2 has no backreferences or lookaround)',
      'f.yaml:11:31: mask.recognizers[0].pattern: invalid RE2 pattern: invalid named capture: `(?<=EMP-)\\d+` (RE2 has no backreferences or lookaround)'
    ]
  },
  {
    name: 'invalid limits',
    text: 'id: a\naction: rate_limit\nlimit: { requests: 60/fortnight, tokens: "-5/hour", per: team }\n',
    want: [
      "f.yaml:3:20: limit.requests '60/fortnight' must be COUNT/WINDOW such as 60/min, 200000/hour or 100/15m",
      "f.yaml:3:42: limit.tokens '-5/hour' must be COUNT/WINDOW such as 60/min, 200000/hour or 100/15m",
      "f.yaml:3:58: limit.per must be one of user, group, global, got 'team'"
    ]
  },
  {
    name: 'invalid durations and approvers',
    text: 'id: a\naction: require_approval\napproval:\n  approvers: { roles: [dba] }\n  timeout: 10 minutes\n  quorum: 0\n',
    want: [
      'f.yaml:4:14: approval.approvers needs groups or sub',
      "f.yaml:4:16: unknown key 'roles' in approval.approvers",
      "f.yaml:5:12: approval.timeout '10 minutes' must be a duration such as 30s, 10m or 1h",
      'f.yaml:6:11: approval.quorum must be an integer at least 1, got number 0'
    ]
  },
  {
    name: 'an action block that belongs to another action, and a missing one',
    text: 'id: a\naction: deny\nlimit: { requests: 1/s }\n---\nid: b\naction: mask\n',
    want: [
      "f.yaml:3:1: 'limit' applies only to action rate_limit, not deny",
      "f.yaml:6:9: action mask needs a 'mask' block"
    ]
  },
  {
    name: 'rules that can never take effect behind a catch-all deny',
    text: 'id: lockdown\naction: deny\n---\nid: allow-reads\naction: allow\nmatch: { sql: { operations: [select] } }\n',
    want: ["f.yaml:4:5: rule 'allow-reads' can never take effect: deny rule 'lockdown' (f.yaml:1:5) matches every request"]
  },
  {
    name: 'a narrower rule shadowed by a broader deny',
    text: 'id: no-contractors\naction: deny\nmatch: { identity: { groups: [contractors, interns] } }\n---\nid: contractors-read\naction: allow\nmatch: { identity: { groups: [contractors] }, sql: { operations: [select] } }\n',
    want: ["f.yaml:5:5: rule 'contractors-read' can never take effect: deny rule 'no-contractors' (f.yaml:1:5) matches every request this rule matches"]
  },
  {
    name: 'sql and llm keys in one rule',
    text: 'id: a\naction: deny\nmatch:\n  protocol: postgres\n  sql: { operations: [select] }\n  llm: { model: [gpt-4] }\n',
    want: [
      'f.yaml:4:3: match cannot hold both sql and llm/prompt keys: no request has both',
      'f.yaml:6:3: match.llm/prompt can never match protocol postgres'
    ]
  },
  {
    name: 'bad mask columns and style',
    text: 'id: a\naction: mask\nmask: { columns: [email, "customers.*"], style: blurred, apply_to: [responses] }\n',
    want: [
      "f.yaml:3:19: mask.columns entry 'email' must be table.column or schema.table.column",
      "f.yaml:3:26: mask.columns entry 'customers.*' must be table.column or schema.table.column",
      "f.yaml:3:49: mask.style must be one of label, partial, hash, null, got 'blurred'",
      "f.yaml:3:69: mask.apply_to entries must be request or response, got 'responses' (did you mean 'response'?)"
    ]
  }
]

for (const b of BROKEN) {
  t.test(b.name, async (t) => {
    t.same(problemsOf({ 'f.yaml': b.text }), b.want)
  })
}

t.test('a prompt pattern whose RE2 program is too large is refused', async (t) => {
  t.same(problemsOf({ 'f.yaml': "id: a\naction: deny\nmatch: { prompt: { patterns: ['x[a-z]{1,999}'] } }\n" }), [
    'f.yaml:3:31: match.prompt.patterns[0]: pattern too large (2000 RE2 instructions, at most 1000); use smaller counted repetitions such as {1,50}'
  ])
})

t.test('custom recognizers are checked against the PII engine limits at load time', async (t) => {
  t.same(problemsOf({ 'f.yaml': "id: a\naction: mask\nmask:\n  recognizers:\n    - { entity: EMPLOYEE_ID, pattern: 'EMP-\\d+' }\n" }), [
    'f.yaml:5:39: mask.recognizers[0]: recognizer EMPLOYEE_ID: pattern can match unboundedly long text; bound every repetition (e.g. \\d{1,20} instead of \\d+) so a match is at most 1024 characters'
  ])
})

t.test('YAML anchors and aliases resolve within each document', async (t) => {
  const set = compileRules(`id: a
match: { identity: { groups: &staff [analysts, dba] }, target: *staff }
action: allow
---
id: b
match: { identity: { groups: &ops [ops] }, target: *ops }
action: allow
`)
  t.equal(set.decide(event({ target: 'dba', groups: ['analysts'] })).rules[0], 'a')
  t.equal(set.decide(event({ target: 'ops', groups: ['ops'] })).rules[0], 'b')
})

t.test('a document that is not a mapping is one problem, not several', async (t) => {
  t.same(problemsOf({ 'f.yaml': 'id: a\naction: allow\n---\n- id: b\n  action: deny\n' }), ['f.yaml:4:1: a rule must be a mapping with at least id and action, got a list'])
})

t.test('duplicate ids across files name both places', async (t) => {
  t.same(problemsOf({
    'a.yaml': 'id: same\naction: allow\n',
    'b.yaml': '# another\nid: other\naction: allow\n---\nid: same\naction: deny\nmatch: { target: [x] }\n'
  }), ["b.yaml:5:5: duplicate rule id 'same': first defined at a.yaml:1:5"])
})

t.test('every problem in every file is reported in one run, in file/line order', async (t) => {
  const name = (i: number): string => `f${String(i).padStart(2, '0')}.yaml`
  const problems = problemsOf(Object.fromEntries(BROKEN.map((b, i) => [name(i), b.text])))
  for (const [i, b] of BROKEN.entries()) {
    // Messages may differ (another file's catch-all deny shadows first); each place must be reported.
    for (const want of b.want) {
      const where = `${name(i)}:${want.split(':').slice(1, 3).join(':')}:`
      t.ok(problems.some((p) => p.startsWith(where)), where)
    }
  }
  const keys = problems.map((p) => p.split(':').slice(0, 3))
  const sorted = [...keys].sort((a, b) => a[0].localeCompare(b[0]) || Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]))
  t.same(keys, sorted)
})

t.test('a custom recognizer makes its entity known to every rule', async (t) => {
  t.same(problemsOf({
    'a.yaml': 'id: a\naction: deny\nmatch: { prompt: { entities: [EMPLOYEE_ID] } }\n',
    'b.yaml': "id: b\naction: mask\nmask: { recognizers: [{ entity: EMPLOYEE_ID, pattern: 'EMP-\\d{6}' }] }\n"
  }), [])
})

t.test('a file with only comments or empty documents holds no rules and no problems', async (t) => {
  t.same(problemsOf({ 'a.yaml': '# nothing yet\n', 'b.yaml': 'id: a\naction: allow\n---\n' }), [])
})
