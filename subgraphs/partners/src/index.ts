/**
 * partners: partners and their associations to care requests.
 */
import 'reflect-metadata';
import { DEMO_PARTNERS } from '@care-graph/demo-data';
import {
  buildFederatedSchema,
  entityReference,
  notForPartners,
  ownedByPartner,
  type SubgraphDefinition,
  writeStamp,
} from '@care-graph/service-kit';
import { BackfillRunResolver, backfillWithoutRun } from './backfill-run';
import { createContext, type PartnersContext } from './context';
import { openPartnersDatabase, type PrismaClient } from './db';
import { PartnerResolver } from './partner';
import { CareRequestAssociationsResolver, PartnerAssociationResolver } from './partner-association';
import { partnerNameColumns } from './partner-name';

export function buildPartnersSchema() {
  return buildFederatedSchema<PartnersContext>(
    { resolvers: [PartnerResolver, PartnerAssociationResolver, CareRequestAssociationsResolver, BackfillRunResolver] },
    // The rules of the root fields: a partner token sees its own partner and associations, and a care request
    // only as far as it is associated with it (its one way to care requests).
    {
      Partner: entityReference(
        (ref, ctx) => ctx.partners.load(ref.id),
        ownedByPartner((partner) => partner.id),
      ),
      PartnerAssociation: entityReference(
        (ref, ctx) => ctx.associations.load(ref.id),
        ownedByPartner((association) => association.partnerId),
      ),
      // Being built (issue 11): the run's progress; until then every backfill answers as one without a run.
      Backfill: entityReference((ref) => backfillWithoutRun(ref.id), notForPartners),
      CareRequest: entityReference(
        (ref) => ({ id: ref.id }),
        async (careRequest, ctx) =>
          ctx.identity.role !== 'partner' ||
          (await ctx.associationsByCareRequest.load(careRequest.id)).some((row) => row.partnerId === ctx.identity.partnerId),
      ),
    },
  );
}

export const partnersSubgraph: SubgraphDefinition<PrismaClient, PartnersContext> = {
  name: 'partners',
  tables: ['Partner', 'PartnerAssociation'],
  buildSchema: buildPartnersSchema,
  openDatabase: openPartnersDatabase,
  createContext,
  async seed(prisma) {
    if ((await prisma.partner.count()) > 0) return false;
    await prisma.$transaction(async (tx) => {
      const stamp = await writeStamp(tx);
      await tx.partner.createMany({ data: DEMO_PARTNERS.map((p) => ({ ...p, ...partnerNameColumns(p.name), lastUpdated: stamp })) });
    });
    return true;
  },
};
