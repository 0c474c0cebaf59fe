/**
 * The data-load feed: integrators pull `dataLoads(lastUpdated: { gt: <watermark> })` to learn that a load
 * (an import, a roster ingestion, a backfill) has finished before they pull what it wrote. A load is listed
 * once it finishes; its `lastUpdated` is the finish.
 */

import {
  badUserInput,
  Connection,
  conflict,
  DateTimeScalar,
  notFound,
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
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  registerEnumType,
} from 'type-graphql';
import type { CareRequestsContext } from './context';
import type { DataLoad as DataLoadRow } from './generated/prisma/client';
import { DataLoadKind, DataLoadStatus } from './generated/prisma/enums';

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

@ObjectType({ simpleResolvers: true })
export class DataLoadConnection extends Connection(DataLoad, 'DataLoad') {}

@InputType()
export class StartDataLoadInput {
  @Field(() => DataLoadKind) kind!: DataLoadKind;
  @Field(() => String, { nullable: true }) source?: string | null;
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
    return ctx.prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      return tx.dataLoad.create({ data: { kind: input.kind, source: input.source ?? null, startedAt: stamp } });
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
    return load;
  }
}
