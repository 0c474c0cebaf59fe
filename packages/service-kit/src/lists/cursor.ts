/**
 * Keyset pagination on `(lastUpdated, id)`.
 *
 * Every list is ordered by `lastUpdated` (legacy rows without one last) then `id`, and a cursor names the
 * last row seen. Rows sharing a timestamp are told apart by `id`, so a page boundary inside a run of equal
 * timestamps neither skips nor repeats a row, and rows written after a page was read land after the cursor.
 */
import { badUserInput } from '../graphql/errors';
import { type ConnectionShape, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../graphql/resource-types';

export interface Cursor {
  lastUpdated: Date | null;
  id: string;
}

/** The opaque cursor of a row: its `(lastUpdated, id)` pair, base64url JSON. */
export function encodeCursor(row: Cursor): string {
  return Buffer.from(JSON.stringify([row.lastUpdated ? row.lastUpdated.toISOString() : null, row.id])).toString('base64url');
}

/** The `(lastUpdated, id)` pair of a cursor `encodeCursor` made; BAD_USER_INPUT (argument `after`) for anything else. */
export function decodeCursor(cursor: string): Cursor {
  try {
    const [lastUpdated, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string | null, string];
    if (typeof id !== 'string' || (lastUpdated !== null && typeof lastUpdated !== 'string')) throw new Error('shape');
    const date = lastUpdated === null ? null : new Date(lastUpdated);
    if (date && Number.isNaN(date.getTime())) throw new Error('date');
    return { lastUpdated: date, id };
  } catch {
    throw badUserInput(`"${cursor}" is not a cursor this list returned; pass a pageInfo.endCursor or edges.cursor unchanged.`, {
      argument: 'after',
    });
  }
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
): Promise<ConnectionShape<T>> {
  const size = pageSize(args.first);
  const rows = size === 0 ? [] : await fetch(size + 1);
  const page = rows.slice(0, size);
  // Cursors are encoded only when a client selects them (most pulls read pageInfo.endCursor alone).
  const edges = page.map((node) => ({
    node,
    get cursor() {
      return encodeCursor(node);
    },
  }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: page.length ? encodeCursor(page[page.length - 1]) : null },
    transactionTime,
  };
}
