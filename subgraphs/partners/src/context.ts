/** Per-request DataLoaders of the partners service. */
import { byIdLoader, type DataLoader, groupedPageLoaders, groupLoader, type RequestContext } from '@care-graph/service-kit';
import type { PrismaClient } from './db';
import type { PartnerAssociation as AssociationRow, Partner as PartnerRow } from './generated/prisma/client';

export interface PartnersContext extends RequestContext {
  prisma: PrismaClient;
  partners: DataLoader<string, PartnerRow | null>;
  associations: DataLoader<string, AssociationRow | null>;
  /** Associations of each care request, in (partner, id) order. */
  associationsByCareRequest: DataLoader<string, AssociationRow[]>;
  /** One page of each partner's associations, batched across partners. */
  associationPages: ReturnType<typeof groupedPageLoaders<AssociationRow>>;
}

export function createContext(prisma: PrismaClient, base: RequestContext): PartnersContext {
  return {
    ...base,
    prisma,
    partners: byIdLoader((ids) => prisma.partner.findMany({ where: { id: { in: ids } } })),
    associations: byIdLoader((ids) => prisma.partnerAssociation.findMany({ where: { id: { in: ids } } })),
    associationsByCareRequest: groupLoader(
      (careRequestIds) =>
        prisma.partnerAssociation.findMany({
          where: { careRequestId: { in: careRequestIds } },
          orderBy: [{ partnerId: 'asc' }, { id: 'asc' }],
        }),
      (row) => row.careRequestId,
    ),
    associationPages: groupedPageLoaders<AssociationRow>(prisma, { table: 'PartnerAssociation', parentColumn: 'partnerId' }),
  };
}
