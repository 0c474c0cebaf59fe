/**
 * FROZEN — the matcher's decision as it was before frequency-aware weights (commit b30536d,
 * packages/matching/src/match.ts), kept only so that bench/matching.ts can compare today's matcher with it in
 * the same run (speed and quality). Unchanged but for exports nothing else uses; do not change it or use it elsewhere.
 */
/**
 * The decision: among the candidates the blocking keys found, the best-scoring one is graded; guards stop
 * the classic false matches (twins, and two candidates too close to tell apart); and every decision comes
 * with its explanation.
 */

import type { BlockingKeyKind, NormalizedPerson } from '@care-graph/matching';
import { compare, type FieldComparison, totalWeight } from './score';

type Grade = 'CERTAIN' | 'PROBABLE' | 'POSSIBLE' | 'NONE';

/** Total weight needed for each grade. CERTAIN and PROBABLE are accepted as matches; POSSIBLE is for review. */
const THRESHOLDS = { CERTAIN: 22, PROBABLE: 15, POSSIBLE: 9 } as const;
/** A runner-up this close to an accepted best makes the decision ambiguous. */
const AMBIGUITY_MARGIN = 4;

export interface Candidate {
  person: NormalizedPerson;
  /** The kinds of the blocking keys under which it was found (in key order; a kind may repeat). */
  kinds: BlockingKeyKind[];
}

interface MatchExplanation {
  candidateId: string;
  /** Kinds of the blocking keys that found the candidate (never their values: they hold PHI). */
  blockingKeys: string[];
  fields: FieldComparison[];
  total: number;
  runnerUp: { candidateId: string; total: number } | null;
  /** Best total minus the runner-up's (null without a runner-up). */
  margin: number | null;
  /** Guards that lowered the grade: `twin`, `ambiguous`. */
  guards: string[];
  summary: string;
}

export interface MatchDecision {
  /** The best candidate (also when not accepted, for review). */
  candidateId: string | null;
  grade: Grade;
  score: number;
  /** True for CERTAIN and PROBABLE: the match is used. */
  accepted: boolean;
  explanation: MatchExplanation | null;
}

function gradeOf(total: number): Grade {
  if (total >= THRESHOLDS.CERTAIN) return 'CERTAIN';
  if (total >= THRESHOLDS.PROBABLE) return 'PROBABLE';
  if (total >= THRESHOLDS.POSSIBLE) return 'POSSIBLE';
  return 'NONE';
}

const LABELS: Record<string, string> = {
  givenName: 'given name',
  middleName: 'middle name',
  familyName: 'family name',
  dateOfBirth: 'date of birth',
  ssn: 'SSN',
  memberId: 'member id',
  sex: 'sex',
  address: 'address',
};

/** `given name nickname +5.5, family name exact +7, …`: the fields that carried weight. */
function weighedFields(fields: FieldComparison[]): string {
  let text = '';
  for (const f of fields) {
    if (f.weight === 0) continue;
    text += `${text ? ', ' : ''}${LABELS[f.field]} ${f.level} ${f.weight >= 0 ? '+' : ''}${f.weight}`;
  }
  return text;
}

/** Scores every candidate against the query and decides. */
export function decide(query: NormalizedPerson, candidates: Candidate[]): MatchDecision {
  if (candidates.length === 0) return { candidateId: null, grade: 'NONE', score: 0, accepted: false, explanation: null };
  // Rank by total weight alone (the first of equals wins); only the chosen candidate is compared field by
  // field, for its explanation.
  let best = 0;
  let bestTotal = totalWeight(query, candidates[0].person);
  let runnerUp = -1;
  let runnerUpTotal = 0;
  for (let i = 1; i < candidates.length; i += 1) {
    const total = totalWeight(query, candidates[i].person);
    if (total > bestTotal) {
      runnerUp = best;
      runnerUpTotal = bestTotal;
      best = i;
      bestTotal = total;
    } else if (runnerUp < 0 || total > runnerUpTotal) {
      runnerUp = i;
      runnerUpTotal = total;
    }
  }
  const chosen = candidates[best];
  const { fields, total } = compare(query, chosen.person);
  let grade = gradeOf(total);
  const guards: string[] = [];
  const level = (field: string) => fields.find((f) => f.field === field)!.level;
  const strongId = level('ssn') === 'full' || level('memberId') === 'exact';

  // Twins share a surname, a birth date and an address; only the given name tells them apart. A given name
  // that is not the same name (exactly, as a nickname, or within a typo) therefore vetoes the match unless
  // an identifier (SSN, member id) vouches for it.
  const given = level('givenName');
  if ((given === 'disagree' || given === 'close' || given === 'phonetic') && !strongId && grade !== 'NONE') {
    guards.push('twin');
    grade = 'NONE';
  }
  const second = runnerUp < 0 ? null : { candidateId: candidates[runnerUp].person.id, total: runnerUpTotal };
  const margin = second ? Math.round((total - second.total) * 100) / 100 : null;
  if (margin !== null && margin < AMBIGUITY_MARGIN && (grade === 'CERTAIN' || grade === 'PROBABLE') && gradeOf(runnerUpTotal) !== 'NONE') {
    guards.push('ambiguous');
    grade = 'POSSIBLE';
  }
  const accepted = grade === 'CERTAIN' || grade === 'PROBABLE';
  const blockingKeys = [...new Set(chosen.kinds)];
  const weighed = weighedFields(fields);
  // Plain ASCII throughout: a summary with one wider character is stored, copied and encoded at twice the size.
  const summary =
    `${grade}${accepted ? '' : ' (not accepted)'}: ${chosen.person.id} scores ${total}${weighed ? ` from ${weighed}` : ''}` +
    (second ? `; runner-up ${second.candidateId} scores ${second.total} (margin ${margin})` : '; no runner-up') +
    `; found by ${blockingKeys.join(', ')}` +
    (guards.length ? `; guards: ${guards.join(', ')}` : '');
  return {
    candidateId: chosen.person.id,
    grade,
    score: total,
    accepted,
    explanation: { candidateId: chosen.person.id, blockingKeys, fields, total, runnerUp: second, margin, guards, summary },
  };
}
