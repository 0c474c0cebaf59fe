/**
 * Keyset pagination on `(lastUpdated, id)`.
 *
 * Every list is ordered by `lastUpdated` (legacy rows without one last) then `id`, and a cursor names the
 * last row seen. Rows sharing a timestamp are told apart by `id`, so a page boundary inside a run of equal
 * timestamps neither skips nor repeats a row, and rows written after a page was read land after the cursor.
 * A cursor also names the list it came from (its table, scope and filter, as a short digest), so that it is
 * refused anywhere else rather than silently starting another list at an unrelated row.
 */
import { createHash } from 'node:crypto';
import { fieldFault, quote } from '@care-graph/limits';
import { badUserInput } from '../graphql/errors';
import { type ConnectionShape, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../graphql/resource-types';

export interface Cursor {
  lastUpdated: Date | null;
  id: string;
}

/** A short digest naming one list: what it lists and everything that narrows it (parent, window, filter). */
export function listKey(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 12);
}

/** The opaque cursor of a row in list `list` (a `listKey`): base64url JSON of the list and the `(lastUpdated, id)` pair. */
export function encodeCursor(row: Cursor, list: string): string {
  return Buffer.from(JSON.stringify([list, row.lastUpdated ? row.lastUpdated.toISOString() : null, row.id])).toString('base64url');
}

/** The instants a cursor may name: years 0000–9999, which every database here stores and ISO-8601 writes plainly. */
const EARLIEST = Date.parse('0000-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

const notACursor = (cursor: string) =>
  badUserInput(
    `${quote(cursor)} is not a cursor this list returned; pass a pageInfo.endCursor or edges.cursor of this same list unchanged.`,
    {
      argument: 'after',
    },
  );

/**
 * The `(lastUpdated, id)` pair of a cursor `encodeCursor` made for list `list` (any list when omitted: the
 * caller checked it already); BAD_USER_INPUT (argument `after`) for anything else, another list's cursor included.
 */
export function decodeCursor(cursor: string, list?: string): Cursor {
  let decoded: Cursor & { list: string };
  try {
    const [key, lastUpdated, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string | null, string];
    if (typeof key !== 'string' || typeof id !== 'string' || (lastUpdated !== null && typeof lastUpdated !== 'string'))
      throw new Error('shape');
    // A tampered cursor must not carry to the database what no row can hold: a NUL in the id, a year past 9999.
    if (fieldFault('id', id)) throw new Error('id');
    const date = lastUpdated === null ? null : new Date(lastUpdated);
    if (date && !(date.getTime() >= EARLIEST && date.getTime() <= LATEST)) throw new Error('date');
    decoded = { list: key, lastUpdated: date, id };
  } catch {
    throw notACursor(cursor);
  }
  if (list !== undefined && decoded.list !== list) throw notACursor(cursor);
  return { lastUpdated: decoded.lastUpdated, id: decoded.id };
}

/**
 * The cursor of a row in a list ordered by another instant than `lastUpdated` (e.g. `(createdAt, id)` for a
 * backfill's window): the same encoding, list binding and checks, with the instant in the pair's first place.
 */
export function encodeOrderCursor(row: { at: Date; id: string }, list: string): string {
  return encodeCursor({ lastUpdated: row.at, id: row.id }, list);
}

/** The `(at, id)` pair of a cursor `encodeOrderCursor` made for list `list`; BAD_USER_INPUT (`after`) otherwise. */
export function decodeOrderCursor(cursor: string, list: string): { at: Date; id: string } {
  const { lastUpdated, id } = decodeCursor(cursor, list);
  if (!lastUpdated) throw notACursor(cursor);
  return { at: lastUpdated, id };
}

/** Validates `first` (default 100, at most 1000). */
export function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`"first" must be between 0 and ${MAX_PAGE_SIZE}; got ${first}.`, { argument: 'first' });
  }
  return first;
}

/**
 * Runs one page: `fetch(take)` loads up to `take` rows after the cursor in `(lastUpdated NULLS LAST, id)`
 * order (`pageSql`, or `groupedPageLoaders`); one extra row is read to know whether another page follows.
 */
export async function keysetPage<T extends Cursor>(
  args: { first?: number | null },
  transactionTime: Date,
  fetch: (take: number) => Promise<T[]>,
  /** The list the page belongs to (`listKey`): its cursors name it. */
  list: string,
): Promise<ConnectionShape<T>> {
  const size = pageSize(args.first);
  const rows = size === 0 ? [] : await fetch(size + 1);
  const page = rows.slice(0, size);
  // Cursors are encoded only when a client selects them (most pulls read pageInfo.endCursor alone).
  const edges = page.map((node) => ({
    node,
    get cursor() {
      return encodeCursor(node, list);
    },
  }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: page.length ? encodeCursor(page[page.length - 1], list) : null },
    transactionTime,
  };
}
