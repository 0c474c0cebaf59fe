/**
 * The decision: among the candidates the blocking keys found, the best-scoring one is graded; guards stop
 * the classic false matches (twins, namesakes, and two candidates too close to tell apart); and every decision comes
 * with its explanation.
 */

import type { RosterModel } from './frequencies';
import type { BlockingKeyKind, NormalizedPerson } from './normalize';
import { compare, FIELDS, type Field, type FieldComparison, oneKeyingSlip, round2, totalWeight } from './score';

export type Grade = 'CERTAIN' | 'PROBABLE' | 'POSSIBLE' | 'NONE';

/**
 * The score each grade needs: the log2 odds that the candidate is the patient (the prior plus the field
 * weights). CERTAIN: odds of at least 1,000 to 1; PROBABLE: 16 to 1; POSSIBLE (for review): 1 to 4.
 * CERTAIN and PROBABLE are accepted as matches.
 */
export const THRESHOLDS = { CERTAIN: 10, PROBABLE: 4, POSSIBLE: -2 } as const;
/** A runner-up this close (in log2 odds) to an accepted best makes the decision ambiguous. */
export const AMBIGUITY_MARGIN = 4;

export interface Candidate {
  person: NormalizedPerson;
  /** The kinds of the blocking keys under which it was found (in key order; a kind may repeat). */
  kinds: BlockingKeyKind[];
}

export interface MatchExplanation {
  candidateId: string;
  /** Kinds of the blocking keys that found the candidate (never their values: they hold PHI). */
  blockingKeys: string[];
  fields: FieldComparison[];
  /** log2 of the prior odds that a given roster member is the patient: −log2 of the roster's size. */
  prior: number;
  /** The prior plus the field weights: the log2 odds that the candidate is the patient. */
  total: number;
  runnerUp: { candidateId: string; total: number } | null;
  /** Best total minus the runner-up's (null without a runner-up). */
  margin: number | null;
  /** Guards that lowered the grade: `twin`, `namesake`, `ambiguous`. */
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

export function gradeOf(total: number): Grade {
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
export const keyKind = (key: string) => key.slice(0, key.indexOf(':')) as BlockingKeyKind;

/**
 * A number rounded to hundredths as `String(n)` writes it (6, 6.1, -6.05), from its integer hundredths:
 * formatting a double in full is the dearest step of a summary, and one is built for every decision.
 */
export function hundredths(n: number): string {
  const cents = Math.round(Math.abs(n) * 100);
  const whole = `${n < 0 && cents !== 0 ? '-' : ''}${Math.floor(cents / 100)}`;
  const rest = cents % 100;
  if (rest === 0) return whole;
  return rest % 10 === 0 ? `${whole}.${rest / 10}` : `${whole}.${rest < 10 ? '0' : ''}${rest}`;
}
const signed = (n: number) => `${n >= 0 ? '+' : ''}${hundredths(n)}`;

/**
 * `given name nickname +5.5, family name exact +4.1 (frequency -3.6), …`: the fields that carried weight,
 * each with what its value's frequency in the roster changed.
 */
function weighedFields(fields: FieldComparison[]): string {
  let text = '';
  for (const f of fields) {
    if (f.weight === 0 && f.frequencyAdjustment === 0) continue;
    const adjusted = f.frequencyAdjustment === 0 ? '' : ` (frequency ${signed(f.frequencyAdjustment)})`;
    text += `${text ? ', ' : ''}${LABELS[f.field]} ${f.level} ${signed(f.weight)}${adjusted}`;
  }
  return text;
}

/**
 * Scores every candidate against the query and decides. `model` is the roster's (its prior; the candidates
 * carry its frequency adjustments, `RosterModel.annotate`).
 */
export function decide(query: NormalizedPerson, candidates: Candidate[], model: Pick<RosterModel, 'prior'>): MatchDecision {
  if (candidates.length === 0) return { candidateId: null, grade: 'NONE', score: 0, accepted: false, explanation: null };
  // Rank by total weight alone (the first of equals wins); only the chosen candidate is compared field by
  // field, for its explanation.
  // A lone candidate needs no ranking (most patients have one, or none).
  let best = 0;
  let bestTotal = candidates.length === 1 ? 0 : totalWeight(query, candidates[0].person);
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
  const { prior } = model;
  runnerUpTotal = round2(runnerUpTotal + prior);
  const chosen = candidates[best];
  const comparison = compare(query, chosen.person);
  const { fields } = comparison;
  const total = round2(comparison.total + prior);
  let grade = gradeOf(total);
  const guards: string[] = [];
  const level = (field: Field) => fields[FIELDS.indexOf(field)].level;
  const strongId = level('ssn') === 'full' || level('memberId') === 'exact';

  // Twins share a surname, a birth date and an address; only the given name tells them apart. A given name
  // that is not the same name (exactly, as a nickname, or within a typo) therefore vetoes the match unless
  // an identifier (SSN, member id) vouches for it.
  // A given name that is only alike is another name too unless one keying slip away, past the first letter
  // (Ryan and Bryan, Fickyie and Flaickyie are twins' names; keying slips spare the first letter), and any
  // name short of the same one is when the sex or the SSN disagrees as well (Stephen and Stephanie; Chris
  // and Christine with SSNs of their own).
  const given = level('givenName');
  const otherName = given === 'disagree' || given === 'close' || given === 'phonetic';
  const [queryGiven, memberGiven] = [query.given[0] ?? '', chosen.person.given[0] ?? ''];
  const otherInitial = given === 'similar' && (queryGiven[0] !== memberGiven[0] || !oneKeyingSlip(queryGiven, memberGiven));
  const otherSexOrSsn = given !== 'exact' && given !== 'missing' && (level('sex') === 'disagree' || level('ssn') === 'mismatch');
  if ((otherName || otherInitial || otherSexOrSsn) && !strongId && grade !== 'NONE') {
    guards.push('twin');
    grade = 'NONE';
  }
  // A namesake — someone else with the member's names — is told apart by the birth date alone when nothing
  // else is shared: a birth date that only nearly agrees (a digit, day and month, the year) then is as
  // likely a second person as a keying slip, more so the bigger the roster. Without an identifier or the
  // street to vouch for it, such a match goes to review.
  // A birth date that disagrees outright, even at the same street, is a namesake's (a father and his son).
  const dob = level('dateOfBirth');
  const nearDob = dob === 'one-digit' || dob === 'day-month-swap' || dob === 'same-year';
  if (((nearDob && level('address') !== 'street') || dob === 'disagree') && !strongId && (grade === 'CERTAIN' || grade === 'PROBABLE')) {
    guards.push('namesake');
    grade = 'POSSIBLE';
  }
  const second = runnerUp < 0 ? null : { candidateId: candidates[runnerUp].person.id, total: runnerUpTotal };
  const margin = second ? round2(total - second.total) : null;
  if (margin !== null && margin < AMBIGUITY_MARGIN && (grade === 'CERTAIN' || grade === 'PROBABLE') && gradeOf(runnerUpTotal) !== 'NONE') {
    guards.push('ambiguous');
    grade = 'POSSIBLE';
  }
  const accepted = grade === 'CERTAIN' || grade === 'PROBABLE';
  const blockingKeys = [...new Set(chosen.kinds)];
  const weighed = weighedFields(fields);
  // Plain ASCII throughout: a summary with one wider character is stored, copied and encoded at twice the size.
  const summary =
    `${grade}${accepted ? '' : ' (not accepted)'}: ${chosen.person.id} scores ${hundredths(total)} from prior ${hundredths(prior)}${weighed ? `, ${weighed}` : ''}` +
    (second ? `; runner-up ${second.candidateId} scores ${hundredths(second.total)} (margin ${hundredths(margin!)})` : '; no runner-up') +
    `; found by ${blockingKeys.join(', ')}` +
    (guards.length ? `; guards: ${guards.join(', ')}` : '');
  return {
    candidateId: chosen.person.id,
    grade,
    score: total,
    accepted,
    explanation: { candidateId: chosen.person.id, blockingKeys, fields, prior, total, runnerUp: second, margin, guards, summary },
  };
}
