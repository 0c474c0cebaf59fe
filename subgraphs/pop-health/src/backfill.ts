import { Connection, canSeePartner, DateScalar, DateTimeScalar, queryPage, Resource, SinceArgs, sincePage } from '@care-graph/service-kit';
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
import type { PopHealthContext } from './context';
import type { Backfill as BackfillRow } from './generated/prisma/client';
import { BackfillStatus } from './generated/prisma/enums';
import { Partner } from './references';
import { Roster } from './roster';

registerEnumType(BackfillStatus, { name: 'BackfillStatus' });

/** How a run ended, as the runner (partners) reports it. */
export enum BackfillOutcome {
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(BackfillOutcome, { name: 'BackfillOutcome', description: 'How a backfill run ended.' });

@ObjectType({
  simpleResolvers: true,
  description: "A run that matches every care request in [startDate, endDate] against a partner's roster.",
})
@Directive('@key(fields: "id")')
class Backfill extends Resource {
  @Field(() => DateScalar) startDate!: Date;
  @Field(() => DateScalar, { description: 'Inclusive.' }) endDate!: Date;
  @Field(() => BackfillStatus) status!: BackfillStatus;
  @Field(() => Int) batchSize!: number;
  @Field(() => String, { nullable: true, description: 'Why the backfill failed, when it did.' }) error!: string | null;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) startedAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true }) finishedAt!: Date | null;
}

@ObjectType({ simpleResolvers: true })
export class BackfillConnection extends Connection(Backfill, 'Backfill') {}

@ArgsType()
export class BackfillsArgs extends SinceArgs {
  @Field(() => ID, { nullable: true, description: "Only this partner's backfills." })
  partnerId?: string | null;
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

@Resolver(() => Backfill)
export class BackfillResolver {
  @Authorized('service')
  @Mutation(() => Backfill, { description: 'Service only (the runner): records how a run ended; idempotent.' })
  async finishBackfill(@Arg('input', () => FinishBackfillInput) input: FinishBackfillInput): Promise<BackfillRow> {
    throw new Error(`finishBackfill(${input.backfillId}) is being built (issue 11).`);
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
    return sincePage(
      ctx,
      'Backfill',
      args,
      (query) =>
        queryPage<BackfillRow>(ctx.prisma, 'Backfill', query, (values) => scopes.map((id) => `t."partnerId" = $${values.push(id)}`)),
      { partners: scopes },
    );
  }

  @FieldResolver(() => Partner)
  partner(@Root() backfill: BackfillRow): Partner {
    return { id: backfill.partnerId };
  }

  @FieldResolver(() => Roster)
  roster(@Root() backfill: BackfillRow, @Ctx() ctx: PopHealthContext) {
    return ctx.rosters.load(backfill.rosterId);
  }
}
