/**
 * What a roster knows about itself: how common each value is among its members, and how many members it
 * has. Both change what agreement proves.
 *
 * - **Term frequencies** (as Splink's term-frequency adjustments): two records agreeing on "smith" is far
 *   weaker evidence than agreeing on "oyelaran". The u-probability of exact agreement on a value — the
 *   chance that someone who is *not* the member has it — is that value's share among the roster's other
 *   members, smoothed towards the field's average u (`ESTIMATES`) by `SMOOTHING` pseudo-occurrences, so
 *   that a small roster, where any value is rare or a pair of twins makes a birth date look common, falls
 *   back to the population figure:
 *
 *       u(v) = (count(v) − 1 + α) / (N − 1 + α / u)        adjustment(v) = log2(u / u(v))
 *
 *   with α = `SMOOTHING`. Exact agreement gets the adjustment in full; a near miss on a name (a
 *   nickname, a typo) gets it only when it lowers the weight — a near miss on a common name proves less, a
 *   near miss on a rare one no more than on an average one.
 * - **The prior**: a patient is at most one of the roster's N members, so before any field is compared the
 *   odds that a given candidate is the patient are 1 to N (`prior = −log2 N`). A bigger roster has more
 *   namesakes to confuse the patient with, so it needs more evidence for the same grade.
 *
 * Counted once, when a roster becomes READY (`TermFrequencyCounter`, fed as rows are ingested), kept with the
 * roster, and applied to each member once when the roster is loaded for matching (`RosterModel.annotate`):
 * ranking a candidate then costs no lookups.
 */
import type { NormalizedPerson } from './normalize';
import { ESTIMATES, round2 } from './score';

/** The fields whose weights depend on how common the value is. */
export const FREQUENCY_FIELDS = ['givenName', 'familyName', 'dateOfBirth', 'street', 'postalCode'] as const;
export type FrequencyField = (typeof FREQUENCY_FIELDS)[number];

/** A roster's value counts, as stored with it (JSON). */
export interface TermFrequencies {
  /** Members counted. */
  size: number;
  /** Per field, value → members holding it, for values held by more than one (any other value: one). */
  counts: Record<FrequencyField, Record<string, number>>;
}

/**
 * Pseudo-occurrences of each value at the field's average rate added to a roster's counts (see the file
 * comment): as if the roster held 2 more others with the value among 2/u more members.
 */
export const SMOOTHING = 2;

/** The compared value of a field, as normalised (the first given name, the joined family name, …). */
function comparedValue(person: NormalizedPerson, field: FrequencyField): string | null {
  switch (field) {
    case 'givenName':
      return person.given[0] ?? null;
    case 'familyName':
      return person.family || null;
    case 'dateOfBirth':
      return person.dob;
    case 'street':
      return person.street;
    case 'postalCode':
      return person.zip5;
  }
}

/** Counts values as members go by; `result()` keeps only values held more than once (what is stored). */
export class TermFrequencyCounter {
  private readonly maps = FREQUENCY_FIELDS.map(() => new Map<string, number>());
  private size = 0;

  add(person: NormalizedPerson): void {
    this.size += 1;
    for (let f = 0; f < FREQUENCY_FIELDS.length; f += 1) {
      const value = comparedValue(person, FREQUENCY_FIELDS[f]);
      if (value !== null) this.maps[f].set(value, (this.maps[f].get(value) ?? 0) + 1);
    }
  }

  result(): TermFrequencies {
    const counts = {} as TermFrequencies['counts'];
    FREQUENCY_FIELDS.forEach((field, f) => {
      const kept: Record<string, number> = {};
      for (const [value, count] of this.maps[f]) if (count > 1) kept[value] = count;
      counts[field] = kept;
    });
    return { size: this.size, counts };
  }
}

export function countTermFrequencies(people: Iterable<NormalizedPerson>): TermFrequencies {
  const counter = new TermFrequencyCounter();
  for (const person of people) counter.add(person);
  return counter.result();
}

/** The u of exact agreement each field's adjustment is relative to. */
const AVERAGE_U: Record<FrequencyField, number> = {
  givenName: ESTIMATES.givenName.exact.u,
  familyName: ESTIMATES.familyName.exact.u,
  dateOfBirth: ESTIMATES.dateOfBirth.exact.u,
  street: ESTIMATES.address.street.u,
  postalCode: ESTIMATES.address['postal-code'].u,
};

/** How a roster weighs agreement: its prior and its members' frequency adjustments. */
export class RosterModel {
  /** log2 of the prior odds that a given member is the patient: 1 to `size`. */
  readonly prior: number;
  private readonly counts: Map<string, number>[];

  constructor(readonly frequencies: TermFrequencies) {
    this.prior = round2(-Math.log2(Math.max(1, frequencies.size)));
    this.counts = FREQUENCY_FIELDS.map((field) => new Map(Object.entries(frequencies.counts[field] ?? {})));
  }

  /** The model of a roster held in full (tests, benchmarks): its frequencies counted from its members. */
  static of(members: Iterable<NormalizedPerson>): RosterModel {
    return new RosterModel(countTermFrequencies(members));
  }

  /** log2(u / u(v)) for a member's value of `field` (0 without a value). */
  adjustment(field: FrequencyField, value: string | null): number {
    if (value === null) return 0;
    const f = FREQUENCY_FIELDS.indexOf(field);
    const others = (this.counts[f].get(value) ?? 1) - 1;
    const u = AVERAGE_U[field];
    const uValue = (others + SMOOTHING) / (Math.max(0, this.frequencies.size - 1) + SMOOTHING / u);
    return round2(Math.log2(u / uValue));
  }

  /** Gives a roster member its frequency adjustments (once, as the roster is loaded). Returns the member. */
  annotate(member: NormalizedPerson): NormalizedPerson {
    member.givenFrequency = this.adjustment('givenName', member.given[0] ?? null);
    member.familyFrequency = this.adjustment('familyName', member.family || null);
    member.dobFrequency = this.adjustment('dateOfBirth', member.dob);
    member.streetFrequency = this.adjustment('street', member.street);
    member.zipFrequency = this.adjustment('postalCode', member.zip5);
    return member;
  }
}
