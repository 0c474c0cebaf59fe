/**
 * What partners contributes to the `Backfill` entity (pop-health owns the request and its lifecycle): the
 * run's progress, and the service mutations with which pop-health starts and cancels a run.
 */
import { badUserInput, DateTimeRange, notFound, SinceArgs, sincePage, writeStamp } from '@care-graph/service-kit';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Resolver, Root } from 'type-graphql';
import { backfillSettings, publishRun, wakeRunner } from './backfill-runner/runner';
import type { PartnersContext } from './context';
import { BackfillWindowCountDocument } from './generated/calls/care-requests';
import type { BackfillRun } from './generated/prisma/client';
import { MatchGrade } from './generated/prisma/enums';
import { associationMatch, PartnerAssociationConnection, PartnerAssociationPreview } from './partner-association';
import { Backfill, backfillOf } from './references';

@InputType({ description: 'Service only (pop-health): the run of a backfill pop-health has accepted.' })
export class StartBackfillRunInput {
  @Field(() => ID) backfillId!: string;
  @Field(() => ID) partnerId!: string;
  @Field(() => ID) rosterId!: string;
  @Field(() => DateTimeRange, { description: 'Care requests created in [from, until).' }) window!: DateTimeRange;
  @Field(() => Int) batchSize!: number;
  @Field(() => [MatchGrade]) acceptGrades!: MatchGrade[];
  @Field(() => Boolean) dryRun!: boolean;
}

/** The bounds of a run's batch size (care requests a page). */
const BATCH_SIZE_LIMITS = { min: 1, max: 5000 } as const;
/** The most partitions a run is split into. */
const MAX_PARTITIONS = 64;

/**
 * `[from, until)` split into `count` equal createdAt ranges, in order, the last ending at `until` exactly.
 * Equal ranges, not equal counts: the window is counted once (cheaply), not scanned for split points.
 */
function splitWindow(from: Date, until: Date, count: number): { windowFrom: Date; windowUntil: Date }[] {
  const start = from.getTime();
  const span = until.getTime() - start;
  const bounds = Array.from({ length: count + 1 }, (_, i) => (i === count ? until.getTime() : start + Math.floor((span * i) / count)));
  return bounds
    .slice(0, -1)
    .map((at, i) => ({ windowFrom: new Date(at), windowUntil: new Date(bounds[i + 1]) }))
    .filter((range) => range.windowUntil > range.windowFrom);
}

function validate(input: StartBackfillRunInput): { from: Date; until: Date } {
  const { from, until } = input.window;
  if (!from || !until || !(from < until)) {
    throw badUserInput('input.window needs from and until, from before until.', { argument: 'input', field: 'input.window' });
  }
  if (!Number.isInteger(input.batchSize) || input.batchSize < BATCH_SIZE_LIMITS.min || input.batchSize > BATCH_SIZE_LIMITS.max) {
    throw badUserInput(`input.batchSize must be from ${BATCH_SIZE_LIMITS.min} to ${BATCH_SIZE_LIMITS.max}.`, {
      argument: 'input',
      field: 'input.batchSize',
    });
  }
  if (input.acceptGrades.length === 0) {
    throw badUserInput('input.acceptGrades needs at least one grade, e.g. [CERTAIN, PROBABLE].', {
      argument: 'input',
      field: 'input.acceptGrades',
    });
  }
  return { from, until };
}

@Resolver(() => Backfill)
export class BackfillRunResolver {
  @Authorized('service')
  @Mutation(() => Backfill, { description: 'Service only (pop-health): creates the run of a backfill; idempotent per backfillId.' })
  async startBackfillRun(
    @Arg('input', () => StartBackfillRunInput) input: StartBackfillRunInput,
    @Ctx() ctx: PartnersContext,
  ): Promise<Backfill> {
    const { from, until } = validate(input);
    const existing = await ctx.prisma.backfillRun.findUnique({ where: { backfillId: input.backfillId } });
    if (existing) return backfillOf(input.backfillId, existing);
    const { careRequestsCreatedCount: total } = await ctx.callService('care-requests', BackfillWindowCountDocument, {
      window: { from: from.toISOString(), until: until.toISOString() },
    });
    const count = Math.min(MAX_PARTITIONS, Math.max(1, Math.ceil(total / backfillSettings(ctx.prisma).partitionSize)));
    const empty = total === 0;
    const run = await ctx.prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      // ON CONFLICT DO NOTHING: of concurrent starts of one backfill, one creates the run; the others find it.
      const created = await tx.$executeRawUnsafe(
        `INSERT INTO "BackfillRun" ("backfillId", "partnerId", "rosterId", "windowFrom", "windowUntil", "batchSize", "acceptGrades",
           "dryRun", status, total, "finishedAt", "lastUpdated")
         VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, ARRAY(SELECT jsonb_array_elements_text($7::jsonb))::"MatchGrade"[], $8, $9::"BackfillRunStatus", $10,
           CASE WHEN $10 = 0 THEN clock_timestamp() END, $11::timestamptz)
         ON CONFLICT ("backfillId") DO NOTHING`,
        input.backfillId,
        input.partnerId,
        input.rosterId,
        from,
        until,
        input.batchSize,
        JSON.stringify(input.acceptGrades),
        input.dryRun,
        empty ? 'COMPLETED' : 'RUNNING',
        total,
        stamp,
      );
      if (created === 1) {
        await tx.backfillPartition.createMany({
          data: splitWindow(from, until, count).map((range) => ({ backfillId: input.backfillId, ...range, done: empty })),
        });
      }
      return tx.backfillRun.findUniqueOrThrow({ where: { backfillId: input.backfillId } });
    });
    // The run's first event, for progress subscribers waiting for the hand-off. An empty window's run is
    // complete already: its event goes out when the runner has reported it to pop-health.
    if (run.status === 'RUNNING') publishRun(ctx.events, run);
    wakeRunner(ctx.prisma);
    return backfillOf(run.backfillId, run);
  }

  @Authorized('service')
  @Mutation(() => Backfill, { description: 'Service only (pop-health): stops a run; once it answers, its counts are final.' })
  async cancelBackfillRun(@Arg('backfillId', () => ID) backfillId: string, @Ctx() ctx: PartnersContext): Promise<Backfill> {
    // The page writer locks the run's row in each page's transaction and refuses a run that is not RUNNING:
    // this UPDATE waits for a page being written and, once committed, no page adds to the counts returned.
    const [cancelled] = await ctx.prisma.$queryRawUnsafe<BackfillRun[]>(
      `UPDATE "BackfillRun" SET status = 'CANCELLED', "finishedAt" = clock_timestamp(), "outcomeReportedAt" = clock_timestamp()
       WHERE "backfillId" = $1 AND status = 'RUNNING' RETURNING *`,
      backfillId,
    );
    if (cancelled) {
      publishRun(ctx.events, cancelled);
      return backfillOf(backfillId, cancelled);
    }
    const run = await ctx.prisma.backfillRun.findUnique({ where: { backfillId } });
    if (!run) throw notFound(`No backfill run ${backfillId}: it was never started here (startBackfillRun).`);
    return backfillOf(backfillId, run);
  }

  @FieldResolver(() => [PartnerAssociationPreview], {
    description: 'Dry run: up to 20 sample matches kept for review; [] otherwise.',
  })
  matchSample(@Root() backfill: Backfill): PartnerAssociationPreview[] {
    const sample = (backfill.run?.matchSample ?? []) as {
      careRequestId: string;
      rosterPatientId: string;
      score: number;
      grade: MatchGrade;
      explanation: unknown;
    }[];
    return sample.map((match) => ({
      careRequest: { id: match.careRequestId },
      rosterPatient: { id: match.rosterPatientId },
      match: associationMatch(match.score, match.grade, match.explanation)!,
    }));
  }

  @FieldResolver(() => PartnerAssociationConnection, { description: 'The associations the backfill created, oldest change first.' })
  async associations(
    @Root() backfill: Backfill,
    @Args() args: SinceArgs,
    @Ctx() ctx: PartnersContext,
  ): Promise<PartnerAssociationConnection> {
    return sincePage(ctx, 'PartnerAssociation', args, (query) => ctx.backfillAssociationPages(query).load(backfill.id), {
      backfill: backfill.id,
    });
  }
}

/** Whether the identity of `ctx` may see `backfill`: a partner token its own partner's only. */
export async function canSeeBackfill(backfill: Backfill, ctx: PartnersContext): Promise<boolean> {
  if (ctx.identity.role !== 'partner') return true;
  // Without a run partners does not know whose the backfill is: pop-health, its owner, says.
  const partnerId = backfill.run ? backfill.run.partnerId : await ctx.backfillPartners.load(backfill.id);
  return partnerId !== null && partnerId === ctx.identity.partnerId;
}
