/**
 * What partners contributes to the `Backfill` entity (pop-health owns the request and its lifecycle): the
 * run's progress, and the service mutations with which pop-health starts and cancels a run.
 */
import { DateTimeRange } from '@care-graph/service-kit';
import { Arg, Authorized, Field, ID, InputType, Int, Mutation, Resolver } from 'type-graphql';
import { MatchGrade } from './generated/prisma/enums';
import { Backfill } from './references';

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

@Resolver(() => Backfill)
export class BackfillRunResolver {
  @Authorized('service')
  @Mutation(() => Backfill, { description: 'Service only (pop-health): creates the run of a backfill; idempotent per backfillId.' })
  async startBackfillRun(@Arg('input', () => StartBackfillRunInput) input: StartBackfillRunInput): Promise<Backfill> {
    throw new Error(`startBackfillRun(${input.backfillId}) is being built (issue 11).`);
  }

  @Authorized('service')
  @Mutation(() => Backfill, { description: 'Service only (pop-health): stops a run; once it answers, its counts are final.' })
  async cancelBackfillRun(@Arg('backfillId', () => ID) backfillId: string): Promise<Backfill> {
    throw new Error(`cancelBackfillRun(${backfillId}) is being built (issue 11).`);
  }
}

/** Being built (issue 11): the progress of a backfill whose run has not started. */
export function backfillWithoutRun(id: string): Backfill {
  return {
    id,
    processed: 0,
    total: null,
    matched: 0,
    created: 0,
    alreadyAssociated: 0,
    percent: null,
    ratePerSecond: null,
    etaSeconds: null,
    lastError: null,
    attempts: 0,
  };
}
