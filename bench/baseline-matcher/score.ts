/**
 * FROZEN — the matcher's field comparison as it was before frequency-aware weights (commit b30536d,
 * packages/matching/src/score.ts), kept only so that bench/matching.ts can compare today's matcher with it in
 * the same run (speed and quality). Unchanged but for exports nothing else uses; do not change it or use it elsewhere.
 */
/// <reference path="../../packages/matching/src/talisman.d.ts" />
/**
 * Field-by-field comparison in the Fellegi–Sunter style: each field is compared to an agreement level, and
 * each level carries a weight, log2(m/u) — how much more often that level occurs between records of the
 * same person (m) than between records of different people (u). The total weight is the evidence for a
 * match. The m/u values behind the weights are estimates for US claims/roster data (names drawn from a
 * census-like distribution, SSNs present ~70%, birth dates with rare keying errors); they are kept here,
 * in one table, so that tuning is a one-line change that the quality benchmark then checks.
 */

import { areNicknames, type NormalizedPerson } from '@care-graph/matching';
import jaroWinkler from 'talisman/metrics/jaro-winkler';

type Field = 'givenName' | 'middleName' | 'familyName' | 'dateOfBirth' | 'ssn' | 'memberId' | 'sex' | 'address';

/** Agreement levels per field, with their weights (log2 m/u, rounded). */
const WEIGHTS = {
  givenName: { exact: 6.5, nickname: 5.5, similar: 4.5, phonetic: 3, close: 2, initial: 1, missing: 0, disagree: -5 },
  middleName: { exact: 1, initial: 0.5, missing: 0, disagree: -0.5 },
  familyName: { exact: 7, 'multi-part': 5.5, similar: 5, phonetic: 3.5, close: 2.5, missing: 0, disagree: -4 },
  dateOfBirth: { exact: 9, 'day-month-swap': 5.5, 'one-digit': 5, 'same-year': -2, missing: 0, disagree: -8 },
  ssn: { full: 11, 'last-four': 4, 'one-digit': 6, missing: 0, mismatch: -9 },
  memberId: { exact: 9, missing: 0, mismatch: -1 },
  sex: { agree: 0.5, unknown: 0, disagree: -3 },
  address: { street: 3, 'postal-code': 1.5, city: 0.5, missing: 0, different: 0 },
} as const;

type Level<F extends Field> = keyof (typeof WEIGHTS)[F];

export interface FieldComparison {
  field: Field;
  level: string;
  weight: number;
}

const jw = (a: string, b: string) => jaroWinkler(a, b) as number;

function compareGiven(a: NormalizedPerson, b: NormalizedPerson): Level<'givenName'> {
  const [x, y] = [a.given[0], b.given[0]];
  if (!x || !y) return 'missing';
  if (x === y || a.givenAll === b.givenAll) return 'exact';
  if (x.length === 1 || y.length === 1) return x[0] === y[0] ? 'initial' : 'disagree';
  if (areNicknames(x, y)) return 'nickname';
  // "Mary Ann" vs "Ann": a second given name used as the first.
  if (a.given.includes(y) || b.given.includes(x)) return 'nickname';
  const similarity = jw(x, y);
  if (similarity >= 0.92) return 'similar';
  if (a.givenPhonetic && a.givenPhonetic === b.givenPhonetic) return 'phonetic';
  if (similarity >= 0.85) return 'close';
  return 'disagree';
}

function compareMiddle(a: NormalizedPerson, b: NormalizedPerson): Level<'middleName'> {
  if (!a.middle || !b.middle) return 'missing';
  if (a.middle === b.middle) return 'exact';
  if (a.middle[0] === b.middle[0] && (a.middle.length === 1 || b.middle.length === 1)) return 'initial';
  return 'disagree';
}

function compareFamily(a: NormalizedPerson, b: NormalizedPerson): Level<'familyName'> {
  if (!a.family || !b.family) return 'missing';
  if (a.family === b.family) return 'exact';
  // Hyphenated and multi-part surnames: "Garcia-Lopez" vs "Garcia", "van der Berg" vs "Berg".
  for (const token of a.familyTokens) if (token.length > 1 && b.familyTokens.includes(token)) return 'multi-part';
  const similarity = jw(a.family, b.family);
  if (similarity >= 0.92) return 'similar';
  if (a.familyPhonetic && a.familyPhonetic === b.familyPhonetic) return 'phonetic';
  if (similarity >= 0.85) return 'close';
  return 'disagree';
}

/**
 * Two strings of equal length that differ in one position, or by two adjacent characters swapped.
 * `skip` is a separator that both strings carry at the same places (the dashes of a date): it is left out,
 * so that digits on either side of it count as adjacent. Compared in place: this runs for every candidate.
 */
function oneSlip(x: string, y: string, skip = -1): boolean {
  if (x.length !== y.length) return false;
  let first = -1;
  let second = -1;
  let firstAt = -1;
  let secondAt = -1;
  let seen = 0; // position among the characters that are not `skip`
  for (let i = 0; i < x.length; i += 1) {
    const c = x.charCodeAt(i);
    if (c === skip) continue;
    if (c !== y.charCodeAt(i)) {
      if (first < 0) [first, firstAt] = [i, seen];
      else if (second < 0) [second, secondAt] = [i, seen];
      else return false;
    }
    seen += 1;
  }
  if (first < 0) return false;
  if (second < 0) return true;
  return secondAt === firstAt + 1 && x[first] === y[second] && x[second] === y[first];
}

/** True when x and y hold the same characters from `from` to `to` (exclusive). */
function sameSpan(x: string, xFrom: number, y: string, yFrom: number, length: number): boolean {
  for (let i = 0; i < length; i += 1) if (x.charCodeAt(xFrom + i) !== y.charCodeAt(yFrom + i)) return false;
  return true;
}

const DASH = '-'.charCodeAt(0);

/** Dates are YYYY-MM-DD (normalize checks the shape), so the parts are compared in place. */
function compareDob(a: NormalizedPerson, b: NormalizedPerson): Level<'dateOfBirth'> {
  const [x, y] = [a.dob, b.dob];
  if (!x || !y) return 'missing';
  if (x === y) return 'exact';
  const sameYear = sameSpan(x, 0, y, 0, 4);
  if (sameYear && sameSpan(x, 5, y, 8, 2) && sameSpan(x, 8, y, 5, 2)) return 'day-month-swap';
  if (oneSlip(x, y, DASH)) return 'one-digit';
  if (sameYear) return 'same-year';
  return 'disagree';
}

function compareSsn(a: NormalizedPerson, b: NormalizedPerson): Level<'ssn'> {
  if (!a.ssn || !b.ssn) return 'missing';
  if (a.ssn === b.ssn) return 'full';
  if (oneSlip(a.ssn, b.ssn)) return 'one-digit';
  if (sameSpan(a.ssn, 5, b.ssn, 5, 4)) return 'last-four';
  return 'mismatch';
}

function compareMember(a: NormalizedPerson, b: NormalizedPerson): Level<'memberId'> {
  if (!a.memberId || !b.memberId) return 'missing';
  return a.memberId === b.memberId ? 'exact' : 'mismatch';
}

function compareSex(a: NormalizedPerson, b: NormalizedPerson): Level<'sex'> {
  if (!a.sex || !b.sex) return 'unknown';
  return a.sex === b.sex ? 'agree' : 'disagree';
}

function compareAddress(a: NormalizedPerson, b: NormalizedPerson): Level<'address'> {
  if ((!a.street && !a.zip5) || (!b.street && !b.zip5)) return 'missing';
  if (a.street && a.street === b.street && (!a.zip5 || !b.zip5 || a.zip5 === b.zip5)) return 'street';
  if (a.zip5 && a.zip5 === b.zip5) return 'postal-code';
  if (a.city && a.city === b.city) return 'city';
  return 'different';
}

export interface Comparison {
  fields: FieldComparison[];
  total: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The total weight alone, without the per-field list: what ranking the candidates needs (the decision
 * then explains the chosen one with `compare`). Sums in the same order as `compare`, so the totals agree
 * to the last bit.
 */
export function totalWeight(a: NormalizedPerson, b: NormalizedPerson): number {
  let total = 0;
  total += WEIGHTS.givenName[compareGiven(a, b)];
  total += WEIGHTS.middleName[compareMiddle(a, b)];
  total += WEIGHTS.familyName[compareFamily(a, b)];
  total += WEIGHTS.dateOfBirth[compareDob(a, b)];
  total += WEIGHTS.ssn[compareSsn(a, b)];
  total += WEIGHTS.memberId[compareMember(a, b)];
  total += WEIGHTS.sex[compareSex(a, b)];
  total += WEIGHTS.address[compareAddress(a, b)];
  return round2(total);
}

/** Compares two normalised people field by field. */
export function compare(a: NormalizedPerson, b: NormalizedPerson): Comparison {
  const levels: [Field, string][] = [
    ['givenName', compareGiven(a, b)],
    ['middleName', compareMiddle(a, b)],
    ['familyName', compareFamily(a, b)],
    ['dateOfBirth', compareDob(a, b)],
    ['ssn', compareSsn(a, b)],
    ['memberId', compareMember(a, b)],
    ['sex', compareSex(a, b)],
    ['address', compareAddress(a, b)],
  ];
  let total = 0;
  const fields = levels.map(([field, level]) => {
    const weight = (WEIGHTS[field] as Record<string, number>)[level];
    total += weight;
    return { field, level, weight };
  });
  return { fields, total: round2(total) };
}
