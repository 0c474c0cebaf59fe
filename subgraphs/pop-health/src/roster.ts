import { Readable } from 'node:stream';
import {
  assertPartnerAccess,
  Connection,
  canSeePartner,
  DateScalar,
  DateTimeScalar,
  queryPage,
  Resource,
  type Role,
  Sex,
  SinceArgs,
  sincePage,
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
import type { PopHealthContext } from './context';
import type { RosterPatient as RosterPatientRow, Roster as RosterRow } from './generated/prisma/client';
import { RosterKind, RosterStatus } from './generated/prisma/enums';
import { Partner } from './references';
import { ingestRoster } from './roster-ingestion/roster-ingest';
import { assertPartnerExists, startLoadReport } from './service-calls';

registerEnumType(RosterKind, {
  name: 'RosterKind',
  description: "CURRENT: the partner's live roster. BACKFILL: a roster sent after the dates it applies to, kept apart.",
});
registerEnumType(RosterStatus, { name: 'RosterStatus' });

@ObjectType({ simpleResolvers: true, description: 'A rejected roster row.' })
export class RosterRejection {
  @Field(() => Int, { description: 'Line in the file, from 1 (the header is line 1).' }) line!: number;
  @Field(() => String, { nullable: true }) memberId!: string | null;
  @Field() reason!: string;
}

@ObjectType({ simpleResolvers: true, description: 'A roster member.' })
@Directive('@key(fields: "id")')
export class RosterPatient extends Resource {
  @Field() memberId!: string;
  @Field() givenName!: string;
  @Field(() => String, { nullable: true }) middleName!: string | null;
  @Field() familyName!: string;
  @Field(() => DateScalar) dateOfBirth!: Date;
  @Field(() => Sex) sex!: Sex;
}

@ObjectType({ simpleResolvers: true })
export class RosterPatientConnection extends Connection(RosterPatient, 'RosterPatient') {}

@ObjectType({ simpleResolvers: true, description: 'A partner roster ("pop health file").' })
@Directive('@key(fields: "id")')
export class Roster extends Resource {
  @Field(() => RosterKind) kind!: RosterKind;
  @Field() fileName!: string;
  @Field(() => RosterStatus) status!: RosterStatus;
  @Field(() => Int) rowCount!: number;
  @Field(() => Int) acceptedCount!: number;
  @Field(() => Int) rejectedCount!: number;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class RosterConnection extends Connection(Roster, 'Roster') {}

@ArgsType()
export class RostersArgs extends SinceArgs {
  @Field(() => ID, { nullable: true, description: "Only this partner's rosters." })
  partnerId?: string | null;
  @Field(() => RosterKind, { nullable: true, description: 'Only rosters of this kind.' })
  kind?: RosterKind | null;
  @Field(() => [RosterStatus], { nullable: true, description: 'Only rosters in one of these statuses.' })
  status?: RosterStatus[] | null;
}

@InputType()
export class IngestRosterInput {
  @Field(() => ID) partnerId!: string;
  @Field(() => RosterKind) kind!: RosterKind;
  @Field({ description: 'The file name, kept for reference (1–255 characters).' }) fileName!: string;
  @Field({ description: 'The CSV text, header first. For large files use POST /rosters on the gateway, which streams.' }) content!: string;
}

/** Who may ingest a roster, by the `ingestRoster` mutation or by `POST /rosters` (admin always may). */
export const INGEST_ROSTER_ROLES: readonly Role[] = ['service'];

@Resolver(() => Roster)
export class RosterResolver {
  @Authorized(INGEST_ROSTER_ROLES)
  @Mutation(() => Roster, {
    description: 'Admin/service: ingest a roster file. Bad rows are rejected one by one; the same file again returns the same roster.',
  })
  async ingestRoster(@Arg('input', () => IngestRosterInput) input: IngestRosterInput, @Ctx() ctx: PopHealthContext) {
    await assertPartnerExists(ctx, input.partnerId);
    const store = { prisma: ctx.prisma, database: ctx.database, clock: ctx.clock, index: ctx.rosterIndex };
    return ingestRoster(store, input, Readable.from([input.content]), (source) => startLoadReport(ctx, source, input.partnerId));
  }

  @Authorized('partner', 'service')
  @Query(() => Roster, { nullable: true })
  async roster(@Arg('id', () => ID) id: string, @Ctx() ctx: PopHealthContext) {
    const roster = await ctx.rosters.load(id);
    // Another partner's roster answers as a missing one: a partner never learns that it exists.
    return roster && canSeePartner(ctx.identity, roster.partnerId) ? roster : null;
  }

  @Authorized('partner', 'service')
  @Query(() => RosterConnection, { description: 'Rosters, oldest change first; a partner token sees only its own.' })
  async rosters(@Args() args: RostersArgs, @Ctx() ctx: PopHealthContext): Promise<RosterConnection> {
    // Both scopes apply: a partner token asking for another partner's rosters gets none (not an error
    // that would tell the id exists).
    const scopes = [ctx.identity.role === 'partner' ? ctx.identity.partnerId : null, args.partnerId].filter((id): id is string => !!id);
    const kind = args.kind ?? null;
    const statuses = args.status?.length ? [...new Set(args.status)].sort() : null;
    return sincePage(
      ctx,
      'Roster',
      args,
      (query) =>
        queryPage<RosterRow>(ctx.prisma, 'Roster', query, (values) => [
          ...scopes.map((id) => `t."partnerId" = $${values.push(id)}`),
          ...(kind ? [`t."kind"::text = $${values.push(kind)}`] : []),
          ...(statuses ? [`t."status"::text = ANY($${values.push(statuses)}::text[])`] : []),
        ]),
      { partners: scopes, kind, statuses },
    );
  }

  @FieldResolver(() => Partner)
  partner(@Root() roster: RosterRow): Partner {
    return { id: roster.partnerId };
  }

  @FieldResolver(() => [RosterRejection], { description: 'The first rejected rows, with line number and reason.' })
  rejectedRows(@Root() roster: RosterRow): RosterRejection[] {
    return (roster.rejectedRows as unknown as RosterRejection[]) ?? [];
  }

  @FieldResolver(() => RosterPatientConnection)
  async patients(@Root() roster: RosterRow, @Args() args: SinceArgs, @Ctx() ctx: PopHealthContext): Promise<RosterPatientConnection> {
    assertPartnerAccess(ctx.identity, roster.partnerId);
    return sincePage(ctx, 'RosterPatient', args, (query) => ctx.rosterPatientPages(query).load(roster.id), { roster: roster.id });
  }
}

@Resolver(() => RosterPatient)
export class RosterPatientResolver {
  @FieldResolver(() => Roster)
  roster(@Root() patient: RosterPatientRow, @Ctx() ctx: PopHealthContext) {
    return ctx.rosters.load(patient.rosterId);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The last four digits of the SSN (the full number is never returned).' })
  ssnLast4(@Root() patient: RosterPatientRow): string | null {
    return patient.ssn ? patient.ssn.slice(-4) : null;
  }
}
