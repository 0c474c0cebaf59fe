import { badUserInput, Connection, Resource } from '@care-graph/service-kit';
import {
  Arg,
  Authorized,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  Float,
  ID,
  ObjectType,
  Query,
  Resolver,
  Root,
  registerEnumType,
} from 'type-graphql';
import type { PartnersContext } from './context';
import type { PartnerAssociation as AssociationRow } from './generated/prisma/client';
import { AssociationSource, MatchGrade } from './generated/prisma/enums';
import { type MatchExplanation as Explanation, MatchExplanation, storedExplanation } from './match-explanation';
import { Partner } from './partner';
import { Backfill, backfillOf, CareRequest, RosterPatient } from './references';

registerEnumType(AssociationSource, { name: 'AssociationSource', description: 'How the association came to be.' });
registerEnumType(MatchGrade, { name: 'MatchGrade', description: 'How sure the roster match is.' });

@ObjectType({ simpleResolvers: true, description: 'The roster match behind an association.' })
export class AssociationMatch {
  @Field(() => Float) score!: number;
  @Field(() => MatchGrade) grade!: MatchGrade;
  @Field(() => MatchExplanation, {
    nullable: true,
    description: 'Why the patient matched the roster member (as matchPatients explains it).',
  })
  explanation!: Explanation | null;
}

/** The match of an association row, or null when it was not made by matching. */
export function associationMatch(score: number | null, grade: MatchGrade | null, explanation: unknown): AssociationMatch | null {
  if (score === null || grade === null) return null;
  return { score, grade, explanation: storedExplanation(explanation) };
}

@ObjectType({ simpleResolvers: true, description: 'A care request attributed to a partner.' })
@Directive('@key(fields: "id")')
class PartnerAssociation extends Resource {
  @Field(() => AssociationSource) source!: AssociationSource;
}

@ObjectType({ simpleResolvers: true, description: 'A match a dry run found, kept for review (no association was written).' })
export class PartnerAssociationPreview {
  @Field(() => CareRequest) careRequest!: CareRequest;
  @Field(() => RosterPatient) rosterPatient!: RosterPatient;
  @Field(() => AssociationMatch) match!: AssociationMatch;
}

@ObjectType({ simpleResolvers: true })
export class PartnerAssociationConnection extends Connection(PartnerAssociation, 'PartnerAssociation') {}

/** The most care-request ids one `associatedCareRequestIds` call checks (the callers' batch size). */
const ASSOCIATION_CHECK_LIMIT = 1000;

@Resolver(() => PartnerAssociation)
export class PartnerAssociationResolver {
  @Authorized('service')
  @Query(() => [ID], {
    description:
      'Service only (entity access checks): those of `careRequestIds` associated with partner `partnerId`, in no particular order. At most 1000 ids per call.',
  })
  async associatedCareRequestIds(
    @Arg('partnerId', () => ID) partnerId: string,
    @Arg('careRequestIds', () => [ID]) careRequestIds: string[],
    @Ctx() ctx: PartnersContext,
  ): Promise<string[]> {
    if (careRequestIds.length > ASSOCIATION_CHECK_LIMIT) {
      throw badUserInput(`Pass at most ${ASSOCIATION_CHECK_LIMIT} careRequestIds per call; split the batch.`, {
        argument: 'careRequestIds',
      });
    }
    const rows = await ctx.prisma.partnerAssociation.findMany({
      where: { partnerId, careRequestId: { in: careRequestIds } },
      select: { careRequestId: true },
    });
    return rows.map((row) => row.careRequestId);
  }

  @FieldResolver(() => Partner)
  partner(@Root() association: AssociationRow, @Ctx() ctx: PartnersContext) {
    return ctx.partners.load(association.partnerId);
  }

  @FieldResolver(() => CareRequest)
  careRequest(@Root() association: AssociationRow): CareRequest {
    return { id: association.careRequestId };
  }

  @FieldResolver(() => RosterPatient, { nullable: true })
  rosterPatient(@Root() association: AssociationRow): RosterPatient | null {
    return association.rosterPatientId ? { id: association.rosterPatientId } : null;
  }

  @FieldResolver(() => Backfill, { nullable: true })
  async backfill(@Root() association: AssociationRow, @Ctx() ctx: PartnersContext): Promise<Backfill | null> {
    // Whoever sees the association sees its backfill: both are the association's partner's.
    return association.backfillId ? backfillOf(association.backfillId, await ctx.backfillRuns.load(association.backfillId)) : null;
  }

  @FieldResolver(() => AssociationMatch, { nullable: true })
  match(@Root() association: AssociationRow): AssociationMatch | null {
    return associationMatch(association.matchScore, association.matchGrade, association.matchExplanation);
  }
}

@Resolver(() => CareRequest)
export class CareRequestAssociationsResolver {
  @FieldResolver(() => [PartnerAssociation], {
    description: 'Partners this care request is attributed to (a partner token sees only its own). At most one per partner.',
  })
  async partnerAssociations(@Root() careRequest: CareRequest, @Ctx() ctx: PartnersContext) {
    const rows = await ctx.associationsByCareRequest.load(careRequest.id);
    return ctx.identity.role === 'partner' ? rows.filter((row) => row.partnerId === ctx.identity.partnerId) : rows;
  }
}
