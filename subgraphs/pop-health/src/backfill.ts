import {
  assertPartnerAccess,
  badUserInput,
  Connection,
  canSeePartner,
  conflict,
  DateScalar,
  DateTimeScalar,
  queryPage,
  Resource,
  SinceArgs,
  sincePage,
  writeStamp,
} from '@care-graph/service-kit';
import {
  Arg,
  Args,
  ArgsType,
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
} from 'type-graphql';
import { BATCH_SIZE_BOUNDS, backfillSettings, DEFAULT_BATCH_SIZE, windowsOverlap } from './backfill-lifecycle/backfill-request';
import { wakeBackfillLifecycle } from './backfill-lifecycle/driver';
import { ACTIVE_STATUSES, recordFinish, requestCancel } from './backfill-lifecycle/transitions';
import type { PopHealthContext } from './context';
import { PartnerExistsDocument } from './generated/calls/partners';
import type { Backfill as BackfillRow } from './generated/prisma/client';
import { BackfillPhase, BackfillStatus } from './generated/prisma/enums';
import { MatchGrade } from './patient-matching';
import { Partner } from './references';
import { Roster } from './roster';

registerEnumType(BackfillStatus, { name: 'BackfillStatus' });
registerEnumType(BackfillPhase, {
  name: 'BackfillPhase',
  description: 'The step of a backfill inside its status.',
  valuesConfig: {
    WAITING_FOR_ROSTER: { description: 'INGESTING: the roster is still being ingested.' },
    HANDING_OFF: { description: 'Opening its data load and handing the run to partners.' },
    MATCHING: { description: 'RUNNING: partners is matching the care requests of the window.' },
    CANCELLING: { description: 'Cancelled: waiting for partners to stop the run (its counts are then final).' },
    NOTIFYING: { description: 'Ended: closing its data load and sending the email.' },
    DONE: { description: 'Ended, and everyone was told.' },
  },
});

/** How a run ended, as the runner (partners) reports it. */
export enum BackfillOutcome {
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(BackfillOutcome, { name: 'BackfillOutcome', description: 'How a backfill run ended.' });

@ObjectType({
  simpleResolvers: true,
  description: "A run that matches every care request created in [startDate, endDate] against a partner's roster.",
})
@Directive('@key(fields: "id")')
class Backfill extends Resource {
  @Field(() => DateScalar, { description: 'From 00:00 UTC.' }) startDate!: Date;
  @Field(() => DateScalar, { description: 'Inclusive: up to the next day 00:00 UTC.' }) endDate!: Date;
  @Field(() => BackfillStatus) status!: BackfillStatus;
  @Field(() => BackfillPhase) phase!: BackfillPhase;
  @Field(() => Int, { description: 'Care requests a page of the run holds.' }) batchSize!: number;
  @Field({ description: 'Counts and samples matches without writing associations.' }) dryRun!: boolean;
  @Field(() => String, { nullable: true, description: "The requester (the token's subject)." }) requestedBy!: string | null;
  @Field(() => DateTimeScalar) requestedAt!: Date;
  @Field(() => String, { nullable: true, description: "Who cancelled it (the token's subject)." }) cancelledBy!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) cancelledAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why the backfill failed, when it did.' }) error!: string | null;
  @Field(() => String, { nullable: true, description: 'The transient fault its current step is retrying, if any.' })
  stepError!: string | null;
  @Field(() => Int, { description: 'Retries of the current step (0 when none).' }) stepAttempts!: number;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When partners took the run.' }) startedAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) finishedAt!: Date | null;
}

@ObjectType({ simpleResolvers: true })
export class BackfillConnection extends Connection(Backfill, 'Backfill') {}

@ArgsType()
export class BackfillsArgs extends SinceArgs {
  @Field(() => ID, { nullable: true, description: "Only this partner's backfills." })
  partnerId?: string | null;
  @Field(() => [BackfillStatus], { nullable: true, description: 'Only backfills in one of these statuses.' })
  status?: BackfillStatus[] | null;
}

@InputType({ description: "A backfill: match every care request created in [startDate, endDate] against the partner's roster." })
export class StartBackfillInput {
  @Field(() => ID) partnerId!: string;
  @Field(() => ID, { description: "One of the partner's BACKFILL rosters (it may still be ingesting)." }) rosterId!: string;
  @Field(() => DateScalar, { description: 'From 00:00 UTC.' }) startDate!: Date;
  @Field(() => DateScalar, { description: 'Inclusive (up to the next day 00:00 UTC); not after today.' }) endDate!: Date;
  @Field(() => Int, {
    nullable: true,
    description: `Care requests per page, ${BATCH_SIZE_BOUNDS.min}–${BATCH_SIZE_BOUNDS.max} (default ${DEFAULT_BATCH_SIZE}).`,
  })
  batchSize?: number | null;
  @Field(() => [MatchGrade], { nullable: true, description: 'Grades that make an association (default CERTAIN, PROBABLE).' })
  acceptGrades?: MatchGrade[] | null;
  @Field(() => Boolean, { nullable: true, description: 'Count and sample the matches, write no association (default false).' })
  dryRun?: boolean | null;
  @Field(() => String, { nullable: true, description: "The same key for the same partner returns the first request's backfill." })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Service only: what the runner reports when a run ends (the counts are final).' })
export class FinishBackfillInput {
  @Field(() => ID) backfillId!: string;
  @Field(() => BackfillOutcome) outcome!: BackfillOutcome;
  @Field(() => String, { nullable: true, description: 'Why the run failed, when it did: a sentence an admin can act on.' })
  error?: string | null;
  @Field(() => Int) processed!: number;
  @Field(() => Int) total!: number;
  @Field(() => Int) matched!: number;
  @Field(() => Int) created!: number;
  @Field(() => Int) alreadyAssociated!: number;
}

/** Longest `error` a runner may report (it goes into the email). */
const MAX_ERROR_LENGTH = 2000;

@Resolver(() => Backfill)
export class BackfillResolver {
  @Authorized('admin')
  @Mutation(() => Backfill, {
    description: 'Admin: starts a backfill and returns at once (PENDING, or INGESTING while its roster is ingested).',
  })
  async startBackfill(
    @Arg('input', () => StartBackfillInput) input: StartBackfillInput,
    @Ctx() ctx: PopHealthContext,
  ): Promise<BackfillRow> {
    const settings = backfillSettings(input, new Date());
    const sameRequest = (client: Pick<PopHealthContext['prisma'], 'backfill'>) =>
      settings.idempotencyKey === null
        ? null
        : client.backfill.findUnique({
            where: { partnerId_idempotencyKey: { partnerId: input.partnerId, idempotencyKey: settings.idempotencyKey } },
          });
    const earlier = await sameRequest(ctx.prisma);
    if (earlier) return earlier;

    const { partner } = await ctx.callService('partners', PartnerExistsDocument, { id: input.partnerId });
    if (!partner) throw badUserInput(`No partner ${input.partnerId}; create it with createPartner first.`, { field: 'input.partnerId' });
    const backfill = await ctx.prisma.$transaction(async (tx) => {
      // One partner's starts one at a time, so two overlapping requests cannot both pass the check below.
      await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtextextended(${`backfill:${input.partnerId}`}, 0))`;
      const again = await sameRequest(tx);
      if (again) return again;
      const roster = await tx.roster.findUnique({ where: { id: input.rosterId } });
      // Another partner's roster reads as a missing one: the answer never confirms that it exists.
      if (!roster || roster.partnerId !== input.partnerId) {
        throw badUserInput(`No roster ${input.rosterId} for partner ${input.partnerId}.`, { field: 'input.rosterId' });
      }
      if (roster.kind !== 'BACKFILL') {
        throw badUserInput(`Roster ${roster.id} (${roster.fileName}) is a ${roster.kind} roster; a backfill needs a BACKFILL roster.`, {
          field: 'input.rosterId',
        });
      }
      if (roster.status === 'FAILED') {
        throw badUserInput(`Roster ${roster.id} (${roster.fileName}) failed to ingest${roster.error ? `: ${roster.error}` : ''}.`, {
          field: 'input.rosterId',
        });
      }
      const active = await tx.backfill.findMany({
        where: { partnerId: input.partnerId, status: { in: ACTIVE_STATUSES } },
        orderBy: { requestedAt: 'asc' },
      });
      const overlapping = active.find((other) => windowsOverlap(other, input));
      if (overlapping) {
        throw conflict(
          `Backfill ${overlapping.id} of this partner (${overlapping.status}) already covers part of this window; wait for it or cancel it.`,
          { backfillId: overlapping.id },
        );
      }
      const stamp = await writeStamp(tx);
      const ready = roster.status === 'READY';
      return tx.backfill.create({
        data: {
          partnerId: input.partnerId,
          rosterId: roster.id,
          startDate: input.startDate,
          endDate: input.endDate,
          status: ready ? 'PENDING' : 'INGESTING',
          phase: ready ? 'HANDING_OFF' : 'WAITING_FOR_ROSTER',
          batchSize: settings.batchSize,
          acceptGrades: settings.acceptGrades,
          dryRun: input.dryRun ?? false,
          idempotencyKey: settings.idempotencyKey,
          requestedBy: ctx.identity.subject,
          requestedByEmail: ctx.identity.email ?? null,
          requestedAt: stamp,
          createdAt: stamp,
          lastUpdated: stamp,
        },
      });
    });
    ctx.clock.noteWrite('Backfill', backfill.lastUpdated!);
    wakeBackfillLifecycle(ctx.prisma);
    return backfill;
  }

  @Authorized('admin')
  @Mutation(() => Backfill, {
    description: 'Admin: stops a backfill at the next page boundary (CANCELLED; what was written stays and is counted).',
  })
  async cancelBackfill(@Arg('id', () => ID) id: string, @Ctx() ctx: PopHealthContext): Promise<BackfillRow> {
    const backfill = await requestCancel(ctx.prisma, id, ctx.identity);
    ctx.clock.noteWrite('Backfill', backfill.lastUpdated!);
    wakeBackfillLifecycle(ctx.prisma);
    return backfill;
  }

  @Authorized('service')
  @Mutation(() => Backfill, { description: 'Service only (the runner): records how a run ended; idempotent.' })
  async finishBackfill(
    @Arg('input', () => FinishBackfillInput) input: FinishBackfillInput,
    @Ctx() ctx: PopHealthContext,
  ): Promise<BackfillRow> {
    const { backfillId, outcome, error, ...counts } = input;
    for (const [name, value] of Object.entries(counts)) {
      if (value < 0) throw badUserInput(`${name} must not be negative; got ${value}.`, { field: `input.${name}` });
    }
    if (counts.processed > counts.total) {
      throw badUserInput(`processed (${counts.processed}) must not exceed total (${counts.total}).`, { field: 'input.processed' });
    }
    if (outcome === BackfillOutcome.COMPLETED && counts.processed !== counts.total) {
      throw badUserInput(`A COMPLETED run processed every care request: processed ${counts.processed} of ${counts.total}.`, {
        field: 'input.processed',
      });
    }
    if (outcome === BackfillOutcome.FAILED && !error?.trim()) {
      throw badUserInput('A FAILED run needs the error: a sentence an admin can act on.', { field: 'input.error' });
    }
    if (error && error.length > MAX_ERROR_LENGTH) {
      throw badUserInput(`error must be at most ${MAX_ERROR_LENGTH} characters.`, { field: 'input.error' });
    }
    const backfill = await recordFinish(ctx.prisma, backfillId, outcome, counts, outcome === BackfillOutcome.FAILED ? error!.trim() : null);
    ctx.clock.noteWrite('Backfill', backfill.lastUpdated!);
    wakeBackfillLifecycle(ctx.prisma);
    return backfill;
  }

  @Authorized('partner', 'service')
  @Query(() => Backfill, { nullable: true })
  async backfill(@Arg('id', () => ID) id: string, @Ctx() ctx: PopHealthContext) {
    const backfill = await ctx.backfills.load(id);
    // Another partner's backfill answers as a missing one: a partner never learns that it exists.
    return backfill && canSeePartner(ctx.identity, backfill.partnerId) ? backfill : null;
  }

  @Authorized('partner', 'service')
  @Query(() => BackfillConnection, { description: 'Backfills, oldest change first; a partner token sees only its own.' })
  async backfills(@Args() args: BackfillsArgs, @Ctx() ctx: PopHealthContext): Promise<BackfillConnection> {
    // Both scopes apply: a partner token asking for another partner's backfills gets none (not an error
    // that would tell the id exists).
    const scopes = [ctx.identity.role === 'partner' ? ctx.identity.partnerId : null, args.partnerId].filter((id): id is string => !!id);
    const statuses = args.status?.length ? [...new Set(args.status)].sort() : null;
    return sincePage(
      ctx,
      'Backfill',
      args,
      (query) =>
        queryPage<BackfillRow>(ctx.prisma, 'Backfill', query, (values) => [
          ...scopes.map((id) => `t."partnerId" = $${values.push(id)}`),
          ...(statuses ? [`t."status"::text = ANY($${values.push(statuses)}::text[])`] : []),
        ]),
      { partners: scopes, statuses },
    );
  }

  @FieldResolver(() => Partner)
  partner(@Root() backfill: BackfillRow): Partner {
    return { id: backfill.partnerId };
  }

  @FieldResolver(() => [MatchGrade], { description: 'The match grades that make an association.' })
  acceptGrades(@Root() backfill: BackfillRow): string[] {
    // Rows read with raw SQL (list pages) carry a PostgreSQL enum array as its text form, e.g. {CERTAIN,PROBABLE}.
    const grades = backfill.acceptGrades as unknown;
    return Array.isArray(grades)
      ? grades
      : String(grades)
          .replace(/^\{|\}$/g, '')
          .split(',')
          .filter(Boolean);
  }

  @FieldResolver(() => Roster)
  roster(@Root() backfill: BackfillRow, @Ctx() ctx: PopHealthContext) {
    return ctx.rosters.load(backfill.rosterId);
  }
}

@Resolver(() => Roster)
export class RosterBackfillsResolver {
  @FieldResolver(() => BackfillConnection, { description: 'The backfills that used this roster, oldest change first.' })
  async backfills(
    @Root() roster: { id: string; partnerId: string },
    @Args() args: SinceArgs,
    @Ctx() ctx: PopHealthContext,
  ): Promise<BackfillConnection> {
    assertPartnerAccess(ctx.identity, roster.partnerId);
    return sincePage(ctx, 'Backfill', args, (query) => ctx.rosterBackfillPages(query).load(roster.id), { roster: roster.id });
  }
}
