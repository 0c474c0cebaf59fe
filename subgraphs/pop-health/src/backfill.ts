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
  Int,
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
  @Field(() => Int) processed!: number;
  @Field(() => Int, { nullable: true }) total!: number | null;
  @Field(() => Int) matched!: number;
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

@Resolver(() => Backfill)
export class BackfillResolver {
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
