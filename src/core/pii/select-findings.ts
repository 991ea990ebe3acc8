import type { Candidate, Finding } from './types.js'

/** What one resolution pass decided: findings, and the index up to which the text is final. */
export interface Selection { findings: Finding[]; next: number }

const byPosition = (a: Candidate, b: Candidate): number => a.start - b.start || b.end - a.end || b.priority - a.priority

/**
 * Resolves overlapping candidates, left to right. The earliest-starting candidate X opens a group of
 * every candidate starting before X ends; the group's most specific member (priority, then length,
 * then position) wins, so do the best members ending before it, and resolution resumes at the
 * winner's end. Each decision needs only the candidates starting before X's end, so a stream can
 * make it as soon as those are known.
 *
 * `known`: every candidate starting before it is known (the end of the text for whole texts).
 * Returns the findings decided and `next`, the index before which the output is final.
 */
export function selectFindings (candidates: Candidate[], from: number, known: number): Selection {
  if (candidates.length === 0) return { findings: [], next: Math.max(from, known) }
  const sorted = candidates.filter((c) => c.start >= from).sort(byPosition)
  const findings: Finding[] = []
  let cur = from
  let i = 0
  for (;;) {
    while (i < sorted.length && sorted[i].start < cur) i++
    const x = sorted[i]
    if (x === undefined || x.start >= known) return { findings, next: Math.max(cur, known) }
    if (x.end > known) return { findings, next: x.start }
    let k = i
    while (k < sorted.length && sorted[k].start < x.end) k++
    const group = sorted.slice(i, k)
    const best = mostSpecific(group)
    // Left of the winner, the best group members that end before it still count: "+49 30 901820"
    // before the card in "+49 30 901820 4111 1111 1111 1111" is masked, not dropped with the longer
    // phone candidate that ran into the card.
    findings.push(...winnersBefore(group, best.start), { type: best.type, start: best.start, end: best.end, score: best.score })
    cur = best.end
  }
}

function mostSpecific (cs: Candidate[]): Candidate {
  let best = cs[0]
  for (const c of cs) {
    if (c.priority > best.priority || (c.priority === best.priority && c.end - c.start > best.end - best.start)) best = c
  }
  return best
}

/** The findings among `group` that end at or before `limit`, resolved the same way, in order. */
function winnersBefore (group: Candidate[], limit: number): Finding[] {
  const left = group.filter((c) => c.end <= limit)
  if (left.length === 0) return []
  const best = mostSpecific(left)
  return [...winnersBefore(left, best.start), { type: best.type, start: best.start, end: best.end, score: best.score }]
}
