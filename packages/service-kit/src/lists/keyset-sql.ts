/**
 * The one SQL form of a list page (on table alias `t`): the watermark, the `lastUpdated` filter and the
 * cursor as `WHERE` conditions, the `(lastUpdated NULLS LAST, id)` order, and the page size.
 *
 * Every list runs through it (whole tables with `pageSql`, nested lists with `groupedPageLoaders`), so one
 * statement of the rules serves all of them; `test/keyset-sql.test.ts` checks it against the in-memory
 * rules of `@care-graph/since` on seeded random rows, filters and cursors. Raw SQL rather than Prisma's
 * `where`: pulls are the product's hottest read, and the query engine's cost per page is measurable
 * (bench/RESULTS.md, "Figures behind design decisions").
 */
import type { LastUpdatedCondition } from '@care-graph/since';
import { type SqlClient, sqlIdentifier } from '../database/sql';
import { decodeCursor } from './cursor';

/** One page as `sincePage` hands it to a list's loader. */
export interface SincePageQuery {
  condition: LastUpdatedCondition;
  /** The request's watermark: nothing stamped after it is returned. */
  transactionTime: Date;
  /** Rows to load (the page size and one more). */
  take: number;
  /** The cursor the page starts after, as the client sent it. */
  after: string | null;
}

/** SQL fragment for a compiled `lastUpdated` condition; parameters are appended to `values`. */
function lastUpdatedSql(condition: LastUpdatedCondition, values: unknown[]): string {
  if (!condition.bounded) return 'TRUE';
  const parts = condition.intervals.map(({ from, to }) => {
    const terms = ['t."lastUpdated" IS NOT NULL'];
    if (Number.isFinite(from)) terms.push(`t."lastUpdated" >= $${values.push(new Date(from).toISOString())}::timestamptz`);
    if (Number.isFinite(to)) terms.push(`t."lastUpdated" < $${values.push(new Date(to).toISOString())}::timestamptz`);
    return `(${terms.join(' AND ')})`;
  });
  return parts.length ? `(${parts.join(' OR ')})` : 'FALSE';
}

/**
 * `WHERE` conditions (to be joined with AND) for the watermark, the filter and the cursor; parameters go to
 * `values`. Rows without `lastUpdated` are visible at every watermark and sort last; with a bound they are out.
 */
export function pageConditionsSql(query: Pick<SincePageQuery, 'transactionTime' | 'condition' | 'after'>, values: unknown[]): string[] {
  const conditions: string[] = [];
  const tt = values.push(query.transactionTime.toISOString());
  // With a bound, legacy rows are out anyway: a plain range keeps the (lastUpdated, id) index scan simple.
  conditions.push(
    query.condition.bounded
      ? `t."lastUpdated" <= $${tt}::timestamptz`
      : `(t."lastUpdated" IS NULL OR t."lastUpdated" <= $${tt}::timestamptz)`,
  );
  conditions.push(lastUpdatedSql(query.condition, values));
  if (query.after) {
    const cursor = decodeCursor(query.after);
    const id = values.push(cursor.id);
    if (cursor.lastUpdated === null) conditions.push(`t."lastUpdated" IS NULL AND t.id > $${id}`);
    else {
      const at = values.push(cursor.lastUpdated.toISOString());
      conditions.push(
        `(t."lastUpdated" > $${at}::timestamptz OR (t."lastUpdated" = $${at}::timestamptz AND t.id > $${id}) OR t."lastUpdated" IS NULL)`,
      );
    }
  }
  return conditions;
}

/** The keyset order, matching the cursor and the `(lastUpdated, id)` indexes. */
export const KEYSET_ORDER_SQL = 't."lastUpdated" ASC NULLS LAST, t.id ASC';

/**
 * A whole page: `SELECT t.* FROM <table> t WHERE … ORDER BY (lastUpdated, id) LIMIT take`. `scope` adds the
 * list's own conditions on `t` (e.g. one partner's rows), pushing its parameters to the array it is given.
 */
export function pageSql(
  table: string,
  query: SincePageQuery,
  scope: (values: unknown[]) => string[] = () => [],
): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const conditions = [...pageConditionsSql(query, values), ...scope(values)];
  const limit = values.push(query.take);
  return {
    sql: `SELECT t.* FROM ${sqlIdentifier(table)} t WHERE ${conditions.join(' AND ')} ORDER BY ${KEYSET_ORDER_SQL} LIMIT $${limit}`,
    values,
  };
}

/** Loads one page of `table` (`pageSql` with the list's `scope`) through `client`. */
export function queryPage<Row>(
  client: SqlClient,
  table: string,
  query: SincePageQuery,
  scope?: (values: unknown[]) => string[],
): Promise<Row[]> {
  const { sql, values } = pageSql(table, query, scope);
  return client.$queryRawUnsafe<Row[]>(sql, ...values);
}
