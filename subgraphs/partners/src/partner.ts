import {
  assertPartnerAccess,
  badUserInput,
  Connection,
  canSeePartner,
  conflict,
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
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { PartnersContext } from './context';
import { type Partner as PartnerRow, Prisma } from './generated/prisma/client';
import { PartnerAssociationConnection } from './partner-association';
import { partnerNameColumns } from './partner-name';

@ObjectType({ simpleResolvers: true, description: 'A payer or organisation whose members Care Graph attributes care requests to.' })
@Directive('@key(fields: "id")')
export class Partner extends Resource {
  @Field() name!: string;
}

@ObjectType({ simpleResolvers: true })
export class PartnerConnection extends Connection(Partner, 'Partner') {}

@InputType()
export class CreatePartnerInput {
  @Field({ description: 'Unique display name, 1–200 characters.' }) name!: string;
}

@Resolver(() => Partner)
export class PartnerResolver {
  @Authorized('partner', 'service')
  @Query(() => Partner, { nullable: true })
  async partner(@Arg('id', () => ID) id: string, @Ctx() ctx: PartnersContext) {
    // Another partner answers as a missing one: a partner token learns no other partner's id or name.
    return canSeePartner(ctx.identity, id) ? ctx.partners.load(id) : null;
  }

  @Authorized('partner', 'service')
  @Query(() => PartnerConnection, { description: 'Partners, oldest change first (a partner token sees only its own).' })
  async partners(@Args() args: SinceArgs, @Ctx() ctx: PartnersContext): Promise<PartnerConnection> {
    const { identity } = ctx;
    return sincePage(ctx, 'Partner', args, (query) =>
      queryPage<PartnerRow>(ctx.prisma, 'Partner', query, (values) =>
        identity.role === 'partner' ? [`t.id = $${values.push(identity.partnerId)}`] : [],
      ),
    );
  }

  @Authorized('admin')
  @Mutation(() => Partner, { description: 'Admin: register a partner.' })
  async createPartner(@Arg('input', () => CreatePartnerInput) input: CreatePartnerInput, @Ctx() ctx: PartnersContext) {
    const { name, nameKey } = partnerNameColumns(input.name);
    if (name.length === 0 || name.length > 200) {
      throw badUserInput('input.name must be 1 to 200 characters after trimming spaces.', { argument: 'input', field: 'input.name' });
    }
    // No read before the write: the unique index on nameKey decides, so two concurrent creates of one name
    // cannot both succeed.
    try {
      const partner = await ctx.prisma.$transaction(async (tx) =>
        tx.partner.create({ data: { name, nameKey, lastUpdated: await writeStamp(tx) } }),
      );
      ctx.clock.noteWrite('Partner', partner.lastUpdated!);
      return partner;
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        const existing = await ctx.prisma.partner.findUnique({ where: { nameKey }, select: { name: true } });
        throw conflict(
          `A partner named "${existing?.name ?? name}" already exists (names are compared ignoring case and spacing); ` +
            'choose another name or use the existing partner.',
          { argument: 'input', field: 'input.name' },
        );
      }
      throw error;
    }
  }

  @FieldResolver(() => PartnerAssociationConnection, { description: "The partner's care-request associations, oldest change first." })
  async associations(
    @Root() partner: PartnerRow,
    @Args() args: SinceArgs,
    @Ctx() ctx: PartnersContext,
  ): Promise<PartnerAssociationConnection> {
    assertPartnerAccess(ctx.identity, partner.id);
    return sincePage(ctx, 'PartnerAssociation', args, (query) => ctx.associationPages(query).load(partner.id), { partner: partner.id });
  }
}
