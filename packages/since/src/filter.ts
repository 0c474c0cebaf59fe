/**
 * `lastUpdated` filters: each operator turns the range of its value into a set of admitted instants, and
 * several operators intersect. The result is a list of disjoint half-open intervals, which a database
 * query expresses as `lastUpdated >= from AND lastUpdated < to` per interval.
 */
import { PartialDateTimeError, parsePartialDateTime } from './partial-date-time';

export type LastUpdatedOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export const LAST_UPDATED_OPERATORS: readonly LastUpdatedOperator[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];

/** What GraphQL hands over: absent or null operators are ignored. */
export type LastUpdatedFilterInput = Partial<Record<LastUpdatedOperator, string | null | undefined>>;

/** Half-open interval [from, to) over epoch ms; from may be -Infinity, to may be +Infinity. */
export interface Interval {
  from: number;
  to: number;
}

export interface LastUpdatedCondition {
  /** Sorted, disjoint, non-adjacent (merged) intervals; empty = unsatisfiable. */
  intervals: Interval[];
  /** True when at least one operator was given: records without lastUpdated never match then. */
  bounded: boolean;
}

const ALL: Interval = { from: -Infinity, to: Infinity };

/** The instants one operator admits, for a value denoting [start, end). */
function admitted(operator: LastUpdatedOperator, start: number, end: number): Interval[] {
  switch (operator) {
    case 'eq':
      return [{ from: start, to: end }];
    case 'ne':
      return [
        { from: -Infinity, to: start },
        { from: end, to: Infinity },
      ];
    case 'gt':
      return [{ from: end, to: Infinity }];
    case 'ge':
      return [{ from: start, to: Infinity }];
    case 'lt':
      return [{ from: -Infinity, to: start }];
    case 'le':
      return [{ from: -Infinity, to: end }];
  }
}

/** Intersection of two sorted disjoint interval lists. */
function intersect(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of a) {
    for (const y of b) {
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from < to) out.push({ from, to });
    }
  }
  out.sort((p, q) => p.from - q.from);
  const merged: Interval[] = [];
  for (const interval of out) {
    const last = merged[merged.length - 1];
    if (last && interval.from <= last.to) last.to = Math.max(last.to, interval.to);
    else merged.push({ ...interval });
  }
  return merged;
}

/**
 * Compiles a filter. A malformed value throws PartialDateTimeError whose message starts with the
 * operator (`lastUpdated.gt: "xx" is not …`); an unsatisfiable combination is not an error: it compiles
 * to no interval at all.
 */
export function compileLastUpdated(filter: LastUpdatedFilterInput | null | undefined): LastUpdatedCondition {
  let intervals: Interval[] = [ALL];
  let bounded = false;
  for (const operator of LAST_UPDATED_OPERATORS) {
    const value = filter?.[operator];
    if (value === undefined || value === null) continue;
    let range: ReturnType<typeof parsePartialDateTime>;
    try {
      range = parsePartialDateTime(value);
    } catch (error) {
      if (error instanceof PartialDateTimeError) {
        throw new PartialDateTimeError(value, error.reason, `lastUpdated.${operator}: `);
      }
      throw error;
    }
    bounded = true;
    intervals = intersect(intervals, admitted(operator, range.start, range.end));
  }
  return { intervals, bounded };
}

/** Reference semantics: does an instant (null = a legacy record without lastUpdated) satisfy the condition? */
export function matchesLastUpdated(condition: LastUpdatedCondition, instant: number | null): boolean {
  if (instant === null) return !condition.bounded;
  return condition.intervals.some(({ from, to }) => instant >= from && instant < to);
}

/** The first instant the condition admits (intervals[0].from), or null when it has no finite lower bound or is empty. */
export function lowerBound(condition: LastUpdatedCondition): number | null {
  const first = condition.intervals[0];
  return first && Number.isFinite(first.from) ? first.from : null;
}
