/**
 * `lastUpdated: LastUpdatedFilter` on every list: the GraphQL input, its translation to database
 * conditions, and the page runner every list resolver uses (fast path for empty pulls included).
 * The date-range rules themselves are the pure `@care-graph/since` package.
 */

import { QUOTED_PREFIX } from '@care-graph/limits';
import { compileLastUpdated, type LastUpdatedCondition, lowerBound, PartialDateTimeError } from '@care-graph/since';
import { GraphQLScalarType, Kind } from 'graphql';
import { ArgsType, Field, InputType, Int } from 'type-graphql';
import { badUserInput } from '../graphql/errors';
import type { RequestContext } from '../graphql/request-context';
import type { ConnectionShape } from '../graphql/resource-types';
import { type Cursor, decodeCursor, keysetPage, listKey, pageSize } from './cursor';
import type { SincePageQuery } from './keyset-sql';

/**
 * Passed through as a string: malformed values are reported by the resolver as BAD_USER_INPUT with a
 * sentence naming the value (a scalar error would surface as a validation failure instead).
 */
const PartialDateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'PartialDateTime',
  description:
    'A FHIR search date: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.sss]][Z|±hh:mm] (no zone = UTC). ' +
    'It denotes the whole range of its precision, e.g. 2019-10-01 is [2019-10-01T00:00Z, 2019-10-02T00:00Z).',
  serialize: (value) => String(value),
  parseValue: (value) => (typeof value === 'string' ? value : String(value)),
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? ast.value : ((ast as { value?: string }).value ?? '')),
});

@InputType({
  description:
    'FHIR `_lastUpdated` semantics. eq: inside the range; ne: outside; gt: after the whole range; ge: from its start; ' +
    'lt: before its start; le: up to its end. Several bounds are ANDed. With any bound, records without lastUpdated are excluded.',
})
export class LastUpdatedFilter {
  @Field(() => PartialDateTimeScalar, { nullable: true }) eq?: string | null;
  @Field(() => PartialDateTimeScalar, { nullable: true }) ne?: string | null;
  @Field(() => PartialDateTimeScalar, { nullable: true }) gt?: string | null;
  @Field(() => PartialDateTimeScalar, { nullable: true }) ge?: string | null;
  @Field(() => PartialDateTimeScalar, { nullable: true }) lt?: string | null;
  @Field(() => PartialDateTimeScalar, { nullable: true }) le?: string | null;
}

/** Compiles the filter; a malformed value becomes BAD_USER_INPUT naming it. */
function lastUpdatedCondition(filter: LastUpdatedFilter | null | undefined): LastUpdatedCondition {
  try {
    return compileLastUpdated(filter ?? undefined);
  } catch (error) {
    if (error instanceof PartialDateTimeError)
      throw badUserInput(error.message, { argument: 'lastUpdated', value: String(error.value).slice(0, QUOTED_PREFIX) });
    throw error;
  }
}

/** What a client asks of a list: its `(lastUpdated, first, after)` arguments. */
export interface SincePageRequest {
  lastUpdated?: LastUpdatedFilter | null;
  first?: number | null;
  after?: string | null;
}

/**
 * Runs one page of a `lastUpdated`-filtered list of `table`: `fetch` loads the rows of the query it is given
 * (with `pageSql` or `groupedPageLoaders`), and the answer is that page as a connection of those rows.
 *
 * Empty-pull fast path: when every instant the filter admits is newer than the table's newest committed
 * `lastUpdated` (as far as this process knows), the page is answered empty without a query, and its
 * `transactionTime` is the instant just before the filter's lower bound: for `gt: W` that is W itself. It
 * vouches for nothing the client had not already excluded, so a stale high-water mark can only delay a
 * write to the next pull, never lose it. (It is not used for bounds beyond the latest known watermark, so
 * no `transactionTime` lies in the future.)
 */
export async function sincePage<Row extends Cursor>(
  ctx: RequestContext,
  table: string,
  request: SincePageRequest,
  fetch: (query: SincePageQuery) => Promise<Row[]>,
  /** What else narrows the list (its parent, a window): a cursor is valid only with the same scope. */
  scope: unknown = null,
): Promise<ConnectionShape<Row>> {
  const condition = lastUpdatedCondition(request.lastUpdated);
  // The list a cursor belongs to: the table, the scope and the filter (each bound as the client wrote it).
  const list = listKey(
    table,
    scope,
    Object.entries(request.lastUpdated ?? {})
      .filter(([, value]) => value != null)
      .sort(),
  );
  if (request.after) decodeCursor(request.after, list);
  const size = pageSize(request.first);
  const lower = lowerBound(condition);
  if (lower !== null && !request.after && condition.intervals.length > 0) {
    const highWater = ctx.clock.highWaterMark(table);
    if (highWater !== null && lower > highWater && lower - 1 <= ctx.clock.known().getTime()) {
      return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, transactionTime: new Date(lower - 1) };
    }
  }
  const transactionTime = await ctx.watermark();
  if (condition.intervals.length === 0) {
    return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, transactionTime };
  }
  return keysetPage(
    { first: size },
    transactionTime,
    (take) => fetch({ condition, transactionTime, take, after: request.after ?? null }),
    list,
  );
}

/** The arguments every list takes: `(lastUpdated, first, after)`. */
@ArgsType()
export class SinceArgs implements SincePageRequest {
  @Field(() => LastUpdatedFilter, { nullable: true, description: 'FHIR `_lastUpdated` range; see LastUpdatedFilter.' })
  lastUpdated?: LastUpdatedFilter | null;

  @Field(() => Int, { nullable: true, description: 'Page size: default 100, at most 1000.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'A cursor from the previous page (pageInfo.endCursor).' })
  after?: string | null;
}
