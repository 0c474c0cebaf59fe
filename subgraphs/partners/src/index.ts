/**
 * partners: partners and their associations to care requests.
 */
import 'reflect-metadata';
import { DEMO_PARTNERS } from '@care-graph/demo-data';
import { buildFederatedSchema, type SubgraphDefinition, writeStamp } from '@care-graph/service-kit';
import { createContext, type PartnersContext } from './context';
import { openPartnersDatabase, type PrismaClient } from './db';
import { PartnerResolver } from './partner';
import { CareRequestAssociationsResolver, PartnerAssociationResolver } from './partner-association';
import { partnerNameColumns } from './partner-name';

export function buildPartnersSchema() {
  return buildFederatedSchema<PartnersContext>(
    { resolvers: [PartnerResolver, PartnerAssociationResolver, CareRequestAssociationsResolver] },
    {
      Partner: (ref, ctx) => ctx.partners.load(ref.id),
      PartnerAssociation: (ref, ctx) => ctx.associations.load(ref.id),
      CareRequest: (ref) => ({ id: ref.id }),
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
