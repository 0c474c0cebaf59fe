/**
 * The rules of a backfill request that need no database: the window its dates mean, the bounds of its
 * settings, and when two backfills' windows overlap. Every refusal is BAD_USER_INPUT naming the input field.
 */
import { badUserInput, formatCalendarDate } from '@care-graph/service-kit';

/** Care requests one page of a run holds: the bounds `batchSize` must keep. */
export const BATCH_SIZE_BOUNDS = { min: 1, max: 5000 } as const;
/** The batch size when none is asked for: the cheapest a care request on the benchmark's curve (bench/RESULTS.md, "Backfill"). */
export const DEFAULT_BATCH_SIZE = 2000;
/** The grades a backfill may accept, and the ones it accepts when none are asked for. */
const ACCEPTABLE_GRADES = ['CERTAIN', 'PROBABLE', 'POSSIBLE'] as const;
type AcceptableGrade = (typeof ACCEPTABLE_GRADES)[number];
const DEFAULT_ACCEPT_GRADES: AcceptableGrade[] = ['CERTAIN', 'PROBABLE'];
/** Longest idempotency key kept. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

const DAY_MS = 86_400_000;

export interface BackfillRequestInput {
  startDate: Date;
  endDate: Date;
  batchSize?: number | null;
  acceptGrades?: readonly string[] | null;
  idempotencyKey?: string | null;
}

export interface BackfillSettings {
  batchSize: number;
  acceptGrades: AcceptableGrade[];
  idempotencyKey: string | null;
}

/** The instants a backfill's dates cover: [startDate 00:00Z, endDate + 1 day 00:00Z). */
export function backfillWindow(startDate: Date, endDate: Date): { from: Date; until: Date } {
  return { from: new Date(startDate.getTime()), until: new Date(endDate.getTime() + DAY_MS) };
}

/** Whether the inclusive date ranges [a.startDate, a.endDate] and [b.startDate, b.endDate] share a day. */
export function windowsOverlap(a: { startDate: Date; endDate: Date }, b: { startDate: Date; endDate: Date }): boolean {
  return a.startDate.getTime() <= b.endDate.getTime() && b.startDate.getTime() <= a.endDate.getTime();
}

/**
 * The settings of a request, defaults filled in; throws BAD_USER_INPUT (`extensions.field` = `input.<name>`)
 * for dates out of order or in the future (after `today`, UTC), a batch size out of bounds, or grades
 * empty or outside CERTAIN, PROBABLE, POSSIBLE.
 */
export function backfillSettings(input: BackfillRequestInput, now: Date): BackfillSettings {
  if (input.startDate.getTime() > input.endDate.getTime()) {
    throw badUserInput(
      `startDate (${formatCalendarDate(input.startDate)}) must not be after endDate (${formatCalendarDate(input.endDate)}).`,
      { field: 'input.startDate' },
    );
  }
  const today = formatCalendarDate(now);
  if (formatCalendarDate(input.endDate) > today) {
    throw badUserInput(`endDate (${formatCalendarDate(input.endDate)}) must not be in the future; today is ${today} (UTC).`, {
      field: 'input.endDate',
    });
  }
  const batchSize = input.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < BATCH_SIZE_BOUNDS.min || batchSize > BATCH_SIZE_BOUNDS.max) {
    throw badUserInput(`batchSize must be from ${BATCH_SIZE_BOUNDS.min} to ${BATCH_SIZE_BOUNDS.max}; got ${batchSize}.`, {
      field: 'input.batchSize',
    });
  }
  const grades = input.acceptGrades ?? DEFAULT_ACCEPT_GRADES;
  if (grades.length === 0)
    throw badUserInput('acceptGrades must name at least one grade, e.g. [CERTAIN].', { field: 'input.acceptGrades' });
  const refused = grades.filter((grade) => !(ACCEPTABLE_GRADES as readonly string[]).includes(grade));
  if (refused.length) {
    throw badUserInput(`acceptGrades may hold ${ACCEPTABLE_GRADES.join(', ')}; ${refused.join(', ')} never makes an association.`, {
      field: 'input.acceptGrades',
    });
  }
  const key = input.idempotencyKey ?? null;
  if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    throw badUserInput(`idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`, { field: 'input.idempotencyKey' });
  }
  return { batchSize, acceptGrades: [...new Set(grades as AcceptableGrade[])], idempotencyKey: key };
}
