/// <reference path="./talisman.d.ts" />
/**
 * Field-by-field comparison in the Fellegi–Sunter style: each field is compared to an agreement level, and
 * each level carries a weight, log2(m/u) — how much more often that level occurs between records of the
 * same person (m) than between records of two different people (u). With the prior (frequencies.ts: 1 to
 * the roster's size), the sum is the log2 odds that the candidate is the patient.
 *
 * The m/u values are estimates for US claims/roster data, kept in one table (`ESTIMATES`): m from the
 * error rates such feeds show (nicknames ~15 %, typos ~5 %, moves ~10 %, keying slips in birth dates ~2 %),
 * u from how often two different people agree by chance (two birth dates in ~70 years of births, names
 * from a census-like distribution, SSNs and member ids unique but for keying errors). Where a roster can
 * tell better — how common *this* name, birth date, street or ZIP code is — the weight of agreement is
 * adjusted by the roster's own term frequencies (frequencies.ts). `npm run bench:matching` re-estimates
 * m and u by expectation–maximisation on generated data and prints both tables side by side.
 */
import jaroWinkler from 'talisman/metrics/jaro-winkler';
import { areNicknames } from './nicknames';
import type { NormalizedPerson } from './normalize';

export type Field = 'givenName' | 'middleName' | 'familyName' | 'dateOfBirth' | 'ssn' | 'memberId' | 'sex' | 'address';

/** One level's probabilities: among pairs of records of the same person (m), of two different people (u). */
export interface Estimate {
  m: number;
  u: number;
}

/**
 * Agreement levels per field with their m and u, each among the pairs where the field is present on both
 * sides (so a field's m add up to 1, and its u). "missing" (absent on either side) is as likely either way
 * and weighs 0 (written m = u = 1).
 */
export const ESTIMATES = {
  givenName: {
    exact: { m: 0.78, u: 0.01 },
    nickname: { m: 0.12, u: 0.002 },
    similar: { m: 0.05, u: 0.003 },
    phonetic: { m: 0.01, u: 0.004 },
    close: { m: 0.01, u: 0.01 },
    initial: { m: 0.005, u: 0.0005 },
    missing: { m: 1, u: 1 },
    disagree: { m: 0.015, u: 0.97 },
  },
  middleName: {
    exact: { m: 0.85, u: 0.02 },
    initial: { m: 0.08, u: 0.05 },
    missing: { m: 1, u: 1 },
    disagree: { m: 0.07, u: 0.93 },
  },
  familyName: {
    exact: { m: 0.86, u: 0.004 },
    'multi-part': { m: 0.03, u: 0.0005 },
    similar: { m: 0.04, u: 0.001 },
    phonetic: { m: 0.01, u: 0.003 },
    close: { m: 0.01, u: 0.008 },
    missing: { m: 1, u: 1 },
    disagree: { m: 0.05, u: 0.98 },
  },
  dateOfBirth: {
    exact: { m: 0.955, u: 0.00006 },
    'day-month-swap': { m: 0.015, u: 0.00002 },
    'one-digit': { m: 0.02, u: 0.001 },
    'same-year': { m: 0.005, u: 0.014 },
    missing: { m: 1, u: 1 },
    disagree: { m: 0.005, u: 0.985 },
  },
  ssn: {
    full: { m: 0.95, u: 0.0000001 },
    'one-digit': { m: 0.01, u: 0.000001 },
    'last-four': { m: 0.005, u: 0.0001 },
    missing: { m: 1, u: 1 },
    mismatch: { m: 0.035, u: 0.9999 },
  },
  memberId: {
    exact: { m: 0.7, u: 0.0000001 },
    missing: { m: 1, u: 1 },
    // A care request often carries the member id of another plan: a mismatch proves little.
    mismatch: { m: 0.3, u: 0.9999 },
  },
  sex: {
    agree: { m: 0.98, u: 0.5 },
    unknown: { m: 1, u: 1 },
    disagree: { m: 0.02, u: 0.5 },
  },
  address: {
    street: { m: 0.8, u: 0.0002 },
    'postal-code': { m: 0.05, u: 0.01 },
    city: { m: 0.03, u: 0.1 },
    missing: { m: 1, u: 1 },
    different: { m: 0.12, u: 0.89 },
  },
} as const satisfies Record<Field, Record<string, Estimate>>;

type Levels = typeof ESTIMATES;
/** Rounded to hundredths, never -0 (a weight that rounds to nothing reads the same on every thread). */
export const round2 = (n: number) => Math.round(n * 100) / 100 || 0;

/** log2(m/u) of every level of a table of estimates, rounded to hundredths. */
export function weightsOf<T extends Record<string, Record<string, Estimate>>>(
  estimates: T,
): { [F in keyof T]: Record<keyof T[F], number> } {
  return Object.fromEntries(
    Object.entries(estimates).map(([field, levels]) => [
      field,
      Object.fromEntries(Object.entries(levels).map(([level, { m, u }]) => [level, round2(Math.log2(m / u))])),
    ]),
  ) as never;
}

/** Agreement levels per field, with their weights (log2 m/u) before any frequency adjustment. */
export const WEIGHTS: { [F in Field]: Record<keyof Levels[F], number> } = weightsOf(ESTIMATES);

export type Level<F extends Field> = keyof Levels[F] & string;

export interface FieldComparison {
  field: Field;
  level: string;
  /** The level's weight with the frequency adjustment included. */
  weight: number;
  /** What the value's frequency in the roster added to (or took from) the level's weight; 0 for most fields. */
  frequencyAdjustment: number;
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

/**
 * True when one keying slip turns x into y: a letter changed, added or dropped, or two neighbours swapped
 * (false when they are equal).
 */
export function oneKeyingSlip(x: string, y: string): boolean {
  if (x.length === y.length) return oneSlip(x, y);
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  if (long.length !== short.length + 1) return false;
  let i = 0;
  while (i < short.length && short.charCodeAt(i) === long.charCodeAt(i)) i += 1;
  return sameSpan(short, i, long, i + 1, short.length - i);
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
  /** The sum of the field weights (the prior is added by the decision). */
  total: number;
}

/** A frequency adjustment as a near miss takes it: only when it lowers the weight. */
const lowering = (adjustment: number) => Math.min(adjustment, 0);

// The frequency adjustment of each level: the member's (b's) own, in full for exact agreement, lowering
// only for near misses (see frequencies.ts).
function givenAdjustment(level: Level<'givenName'>, b: NormalizedPerson): number {
  if (level === 'exact') return b.givenFrequency;
  return level === 'missing' || level === 'disagree' ? 0 : lowering(b.givenFrequency);
}

function familyAdjustment(level: Level<'familyName'>, b: NormalizedPerson): number {
  if (level === 'exact') return b.familyFrequency;
  return level === 'missing' || level === 'disagree' ? 0 : lowering(b.familyFrequency);
}

function dobAdjustment(level: Level<'dateOfBirth'>, b: NormalizedPerson): number {
  if (level === 'exact') return b.dobFrequency;
  return level === 'day-month-swap' || level === 'one-digit' ? lowering(b.dobFrequency) : 0;
}

function addressAdjustment(level: Level<'address'>, b: NormalizedPerson): number {
  if (level === 'street') return b.streetFrequency;
  return level === 'postal-code' ? b.zipFrequency : 0;
}

/**
 * The total weight alone, without the per-field list: what ranking the candidates needs (the decision
 * then explains the chosen one with `compare`). Sums in the same order as `compare`, so the totals agree
 * to the last bit.
 */
export function totalWeight(a: NormalizedPerson, b: NormalizedPerson): number {
  const given = compareGiven(a, b);
  const family = compareFamily(a, b);
  const dob = compareDob(a, b);
  const address = compareAddress(a, b);
  let total = 0;
  total += WEIGHTS.givenName[given] + givenAdjustment(given, b);
  total += WEIGHTS.middleName[compareMiddle(a, b)];
  total += WEIGHTS.familyName[family] + familyAdjustment(family, b);
  total += WEIGHTS.dateOfBirth[dob] + dobAdjustment(dob, b);
  total += WEIGHTS.ssn[compareSsn(a, b)];
  total += WEIGHTS.memberId[compareMember(a, b)];
  total += WEIGHTS.sex[compareSex(a, b)];
  total += WEIGHTS.address[address] + addressAdjustment(address, b);
  return round2(total);
}

/** The fields in the order they are compared (and listed in explanations). */
export const FIELDS: readonly Field[] = ['givenName', 'middleName', 'familyName', 'dateOfBirth', 'ssn', 'memberId', 'sex', 'address'];

/** Each field's agreement level between a query (a) and a roster member (b), in `FIELDS` order. */
export function levelsOf(a: NormalizedPerson, b: NormalizedPerson): string[] {
  return [
    compareGiven(a, b),
    compareMiddle(a, b),
    compareFamily(a, b),
    compareDob(a, b),
    compareSsn(a, b),
    compareMember(a, b),
    compareSex(a, b),
    compareAddress(a, b),
  ];
}

/** Compares a query (a) with a roster member (b) field by field. */
export function compare(a: NormalizedPerson, b: NormalizedPerson): Comparison {
  const given = compareGiven(a, b);
  const family = compareFamily(a, b);
  const dob = compareDob(a, b);
  const address = compareAddress(a, b);
  let total = 0;
  const field = (name: Field, level: string, frequencyAdjustment: number): FieldComparison => {
    const base = (WEIGHTS[name] as Record<string, number>)[level];
    total += base + frequencyAdjustment;
    return { field: name, level, weight: round2(base + frequencyAdjustment), frequencyAdjustment };
  };
  const fields = [
    field('givenName', given, givenAdjustment(given, b)),
    field('middleName', compareMiddle(a, b), 0),
    field('familyName', family, familyAdjustment(family, b)),
    field('dateOfBirth', dob, dobAdjustment(dob, b)),
    field('ssn', compareSsn(a, b), 0),
    field('memberId', compareMember(a, b), 0),
    field('sex', compareSex(a, b), 0),
    field('address', address, addressAdjustment(address, b)),
  ];
  return { fields, total: round2(total) };
}
