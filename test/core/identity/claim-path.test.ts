import t from 'tap'
import { readClaim, readGroups } from '../../../src/core/identity/claim-path.js'

t.test('claim paths descend into nested objects', async (t) => {
  t.same(readClaim({ realm_access: { roles: ['a'] } }, 'realm_access.roles'), ['a'])
  t.equal(readClaim({ a: { b: { c: 'x' } } }, 'a.b.c'), 'x')
  t.equal(readClaim({ a: 'x' }, 'a.b'), undefined)
})

t.test('a claim name containing dots is tried whole first', async (t) => {
  t.same(readClaim({ 'https://example.com/groups': ['g'] }, 'https://example.com/groups'), ['g'])
  t.same(readClaim({ 'https://example.com/app': { roles: ['r'] } }, 'https://example.com/app.roles'), ['r'], 'dotted key, then nested')
  t.same(readClaim({ 'a.b': 1, a: { b: 2 } }, 'a.b'), 1)
})

t.test('groups are strings only', async (t) => {
  t.same(readGroups({ g: ['a', 1, null, '', 'b'] }, 'g'), ['a', 'b'])
  t.same(readGroups({ g: { a: 1 } }, 'g'), [])
  t.same(readGroups({ g: 'solo' }, 'g'), ['solo'])
})
