/**
 * The care requests of a backfill's window, for the backfill runner (partners): created in `[from, until)`,
 * in `(createdAt, id)` order, keyset-paged on the `(createdAt, id)` index so that any page costs the same
 * however deep into the window it is, and counted up front for the run's `total`. A page's patients resolve
 * through the patient DataLoader: one statement for the page, never one per care request.
 *
 * Service only: the runner checkpoints `endCursor` and resumes after it, so equal `createdAt` instants
 * neither skip nor repeat a care request across a restart.
 */
import { badUserInput, DateTimeRange, decodeOrderCursor, encodeOrderCursor, listKey } from '@care-graph/service-kit';
import { Arg, Authorized, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { CareRequest } from './care-request';
import type { CareRequestsContext } from './context';
import type { CareRequest as CareRequestRow } from './generated/prisma/client';

/** Page sizes a runner may ask for: the backfill's `batchSize` bounds. */
const WINDOW_PAGE_SIZES = { min: 1, max: 5000, default: 500 } as const;

@ObjectType({ simpleResolvers: true, description: "One page of a backfill window's care requests, in (createdAt, id) order." })
class CareRequestWindowPage {
  @Field(() => [CareRequest]) careRequests!: CareRequestRow[];
  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; keep it as the checkpoint.' })
  endCursor!: string | null;
  @Field() hasNextPage!: boolean;
}

/** The window's bounds, both required and in order; BAD_USER_INPUT naming `window` otherwise. */
function windowBounds(window: DateTimeRange): { from: Date; until: Date } {
  if (!window.from || !window.until) {
    throw badUserInput('window needs both from (inclusive) and until (exclusive).', { argument: 'window' });
  }
  if (window.from >= window.until) {
    throw badUserInput('window.from must be before window.until (from is inclusive, until exclusive).', { argument: 'window' });
  }
  return { from: window.from, until: window.until };
}

@Resolver()
export class BackfillWindowResolver {
  @Authorized('service')
  @Query(() => CareRequestWindowPage, {
    description: 'Service only (the backfill runner): care requests created in [window.from, window.until), in (createdAt, id) order.',
  })
  async careRequestsCreated(
    @Arg('window', () => DateTimeRange) window: DateTimeRange,
    @Ctx() ctx: CareRequestsContext,
    @Arg('after', () => String, { nullable: true, description: 'The endCursor of the previous page of the same window.' })
    after?: string | null,
    @Arg('first', () => Int, {
      nullable: true,
      description: `Page size, ${WINDOW_PAGE_SIZES.min}–${WINDOW_PAGE_SIZES.max} (default ${WINDOW_PAGE_SIZES.default}).`,
    })
    first?: number | null,
  ): Promise<CareRequestWindowPage> {
    const { from, until } = windowBounds(window);
    const size = first ?? WINDOW_PAGE_SIZES.default;
    if (!Number.isInteger(size) || size < WINDOW_PAGE_SIZES.min || size > WINDOW_PAGE_SIZES.max) {
      throw badUserInput(`"first" must be between ${WINDOW_PAGE_SIZES.min} and ${WINDOW_PAGE_SIZES.max}; got ${size}.`, {
        argument: 'first',
      });
    }
    // The cursor names its window: a cursor of another window (or partition) is refused, not applied.
    const list = listKey('CareRequest.createdAt', from.toISOString(), until.toISOString());
    const position = after ? decodeOrderCursor(after, list) : null;
    const params: unknown[] = [from.toISOString(), until.toISOString()];
    const afterClause = position
      ? ` AND ("createdAt", id) > ($${params.push(position.at.toISOString())}::timestamptz, $${params.push(position.id)})`
      : '';
    const rows = await ctx.prisma.$queryRawUnsafe<CareRequestRow[]>(
      `SELECT * FROM "CareRequest" WHERE "createdAt" >= $1::timestamptz AND "createdAt" < $2::timestamptz${afterClause}
       ORDER BY "createdAt", id LIMIT ${size + 1}`,
      ...params,
    );
    const page = rows.slice(0, size);
    const last = page[page.length - 1];
    return {
      careRequests: page,
      endCursor: last ? encodeOrderCursor({ at: last.createdAt, id: last.id }, list) : (after ?? null),
      hasNextPage: rows.length > size,
    };
  }

  @Authorized('service')
  @Query(() => Int, {
    description: 'Service only (the backfill runner): how many care requests were created in [window.from, window.until).',
  })
  async careRequestsCreatedCount(
    @Arg('window', () => DateTimeRange) window: DateTimeRange,
    @Ctx() ctx: CareRequestsContext,
  ): Promise<number> {
    const { from, until } = windowBounds(window);
    const [{ count }] = await ctx.prisma.$queryRawUnsafe<{ count: bigint | number }[]>(
      'SELECT count(*) AS count FROM "CareRequest" WHERE "createdAt" >= $1::timestamptz AND "createdAt" < $2::timestamptz',
      from.toISOString(),
      until.toISOString(),
    );
    return Number(count);
  }
}
