/**
 * The data-load feed: integrators pull `dataLoads(lastUpdated: { gt: <watermark> })` to learn that a load
 * (an import, a roster ingestion, a backfill) has finished before they pull what it wrote. A load is listed
 * once it finishes; its `lastUpdated` is the finish. `dataLoaded` pushes the same: each load as it finishes.
 *
 * A load of one partner's data (a roster ingestion, a backfill) names that partner, and the partner's own
 * token may follow it; a load without one (a care-request import: every partner's patients) is admin/service
 * only. The `dataLoads` list stays admin/service: it names every partner's files.
 */

import {
  type AccessRule,
  badUserInput,
  Connection,
  conflict,
  DateTimeScalar,
  notFound,
  ownedByPartner,
  queryPage,
  Resource,
  SinceArgs,
  sincePage,
  writeStamp,
} from '@care-graph/service-kit';
import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
  registerEnumType,
  Subscription,
} from 'type-graphql';
import type { CareRequestsContext } from './context';
import { publishDataLoaded, subscribeDataLoaded } from './data-load-events';
import type { DataLoad as DataLoadRow } from './generated/prisma/client';
import { DataLoadKind, DataLoadStatus } from './generated/prisma/enums';
import { Partner } from './references';

registerEnumType(DataLoadKind, { name: 'DataLoadKind' });
registerEnumType(DataLoadStatus, { name: 'DataLoadStatus' });

@ObjectType({ simpleResolvers: true, description: 'A load of data (import, roster ingestion, backfill) and how it ended.' })
@Directive('@key(fields: "id")')
class DataLoad extends Resource {
  @Field(() => DataLoadKind) kind!: DataLoadKind;
  @Field(() => DataLoadStatus) status!: DataLoadStatus;
  @Field(() => String, { nullable: true, description: 'What was loaded, e.g. a file name.' }) source!: string | null;
  @Field(() => Int, { description: 'Records written by the load.' }) recordCount!: number;
  @Field(() => DateTimeScalar) startedAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) finishedAt!: Date | null;
}

/** Who may see a load: admin and services every one, a partner token those of its own partner (none without one). */
export const canSeeDataLoad: AccessRule<DataLoadRow, CareRequestsContext> = ownedByPartner((load) => load.partnerId);

@ObjectType({ simpleResolvers: true })
export class DataLoadConnection extends Connection(DataLoad, 'DataLoad') {}

@InputType()
export class StartDataLoadInput {
  @Field(() => DataLoadKind) kind!: DataLoadKind;
  @Field(() => String, { nullable: true }) source?: string | null;
  @Field(() => ID, {
    nullable: true,
    description:
      "The partner whose data this load is (a roster ingestion, a backfill): that partner's token may follow it. None for care-request imports.",
  })
  partnerId?: string | null;
}

@Resolver(() => DataLoad)
export class DataLoadResolver {
  @Authorized('service')
  @Query(() => DataLoadConnection, {
    description: "Admin/service: finished data loads, oldest finish first (they name every partner's files).",
  })
  async dataLoads(@Args() args: SinceArgs, @Ctx() ctx: CareRequestsContext): Promise<DataLoadConnection> {
    return sincePage(ctx, 'DataLoad', args, (query) =>
      queryPage<DataLoadRow>(ctx.prisma, 'DataLoad', query, () => ['t."finishedAt" IS NOT NULL']),
    );
  }

  @Authorized('service')
  @Mutation(() => DataLoad, { description: 'Admin/service: open a load; pass its id to importCareRequests, then finish it.' })
  async startDataLoad(@Arg('input', () => StartDataLoadInput) input: StartDataLoadInput, @Ctx() ctx: CareRequestsContext) {
    if (input.source && input.source.length > 500) throw badUserInput('source must be at most 500 characters.', { field: 'source' });
    if (input.partnerId && input.kind === DataLoadKind.CARE_REQUEST_IMPORT) {
      throw badUserInput("A care-request import holds every partner's patients: it has no partnerId.", { field: 'partnerId' });
    }
    return ctx.prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      return tx.dataLoad.create({
        data: { kind: input.kind, source: input.source ?? null, partnerId: input.partnerId ?? null, startedAt: stamp },
      });
    });
  }

  @Authorized('service')
  @Mutation(() => DataLoad, { description: 'Admin/service: close a load, which then appears in dataLoads.' })
  async finishDataLoad(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: CareRequestsContext,
    @Arg('status', () => DataLoadStatus, { defaultValue: DataLoadStatus.COMPLETED }) status: DataLoadStatus,
    @Arg('recordCount', () => Int, { nullable: true, description: 'Records written outside importCareRequests, added to the count.' })
    recordCount?: number,
  ) {
    if (status === DataLoadStatus.RUNNING) throw badUserInput('A load finishes as COMPLETED or FAILED.', { argument: 'status' });
    if (recordCount !== undefined && recordCount !== null && recordCount < 0) throw badUserInput('recordCount must not be negative.');
    const load = await ctx.prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      const current = await tx.dataLoad.findUnique({ where: { id } });
      if (!current) throw notFound(`No data load ${id}.`);
      if (current.status !== DataLoadStatus.RUNNING) throw conflict(`Data load ${id} already finished (${current.status}).`);
      return tx.dataLoad.update({
        where: { id },
        data: { status, finishedAt: stamp, lastUpdated: stamp, recordCount: { increment: recordCount ?? 0 } },
      });
    });
    ctx.clock.noteWrite('DataLoad', load.lastUpdated!);
    publishDataLoaded(ctx.events, load);
    return load;
  }

  @Authorized()
  @Subscription(() => DataLoad, {
    description:
      "Each data load as it finishes (an import, a roster ingestion, a backfill), from now on. Admins and services get every load; a partner token its own partner's loads only (care-request imports are admin/service only).",
    subscribe: ({ context }) => {
      const ctx = context as CareRequestsContext;
      return subscribeDataLoaded(ctx.events, (load) => canSeeDataLoad(load, ctx));
    },
  })
  dataLoaded(@Root() load: DataLoadRow): DataLoadRow {
    return load;
  }

  @FieldResolver(() => Partner, {
    nullable: true,
    description: "The partner whose data was loaded; null for care-request imports (every partner's).",
  })
  partner(@Root() load: DataLoadRow): Partner | null {
    return load.partnerId ? { id: load.partnerId } : null;
  }
}
