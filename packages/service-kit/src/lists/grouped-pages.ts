/**
 * Batched first pages of a nested connection (`Partner.associations`, `Roster.patients`).
 *
 * A list of 50 partners each asking for its associations would otherwise cost 50 queries. Parents that
 * ask for the same page size in one request are loaded together with one window-function query: each
 * parent's rows are ranked in keyset order and the first `take` of each kept. A page after a cursor is
 * specific to one parent and is loaded on its own.
 */
import DataLoader from 'dataloader';
import { type SqlClient, sqlIdentifier } from '../database/sql';
import { KEYSET_ORDER_SQL, pageConditionsSql, type SincePageQuery } from './keyset-sql';

export interface GroupedPageSpec {
  /** Table name as Prisma created it, e.g. `PartnerAssociation`. */
  table: string;
  /** The column naming the parent, e.g. `partnerId`. */
  parentColumn: string;
}

/**
 * One loader per page query (size, cursor, watermark, filter): `pages(query).load(parentId)` resolves to up
 * to `query.take` rows of that parent, in `(lastUpdated NULLS LAST, id)` order.
 */
export function groupedPageLoaders<Row extends { id: string }>(client: SqlClient, spec: GroupedPageSpec) {
  const table = sqlIdentifier(spec.table);
  const parent = sqlIdentifier(spec.parentColumn);
  const loaders = new Map<string, DataLoader<string, Row[]>>();

  const load = async (parentIds: readonly string[], query: SincePageQuery) => {
    const values: unknown[] = [parentIds];
    const conditions = pageConditionsSql(query, values);
    const take = values.push(query.take);
    const rows = await client.$queryRawUnsafe<(Row & { _rank: bigint })[]>(
      `SELECT * FROM (
         SELECT t.*, row_number() OVER (PARTITION BY t.${parent} ORDER BY ${KEYSET_ORDER_SQL}) AS "_rank"
         FROM ${table} t
         WHERE t.${parent} = ANY($1::text[]) AND ${conditions.join(' AND ')}
       ) ranked
       WHERE "_rank" <= $${take}
       ORDER BY ${parent}, "_rank"`,
      ...values,
    );
    const byParent = new Map<string, Row[]>();
    for (const { _rank: _ignored, ...row } of rows) {
      const key = (row as unknown as Record<string, string>)[spec.parentColumn];
      const list = byParent.get(key);
      if (list) list.push(row as unknown as Row);
      else byParent.set(key, [row as unknown as Row]);
    }
    return parentIds.map((id) => byParent.get(id) ?? []);
  };

  return (query: SincePageQuery): DataLoader<string, Row[]> => {
    const key = JSON.stringify([
      query.take,
      query.after,
      query.transactionTime.toISOString(),
      query.condition.bounded,
      query.condition.intervals.map((i) => [i.from, i.to]),
    ]);
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader((ids) => load(ids, query));
      loaders.set(key, loader);
    }
    return loader;
  };
}
