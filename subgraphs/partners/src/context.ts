/** Per-request DataLoaders of the partners service. */
import { byIdLoader, DataLoader, groupedPageLoaders, groupLoader, type RequestContext } from '@care-graph/service-kit';
import type { PrismaClient } from './db';
import { BackfillOwnerDocument } from './generated/calls/pop-health';
import type { PartnerAssociation as AssociationRow, BackfillRun, Partner as PartnerRow } from './generated/prisma/client';

export interface PartnersContext extends RequestContext {
  prisma: PrismaClient;
  partners: DataLoader<string, PartnerRow | null>;
  associations: DataLoader<string, AssociationRow | null>;
  /** Associations of each care request, in (partner, id) order. */
  associationsByCareRequest: DataLoader<string, AssociationRow[]>;
  /** One page of each partner's associations, batched across partners. */
  associationPages: ReturnType<typeof groupedPageLoaders<AssociationRow>>;
  /** One page of each backfill's associations, batched across backfills. */
  backfillAssociationPages: ReturnType<typeof groupedPageLoaders<AssociationRow>>;
  /** Backfill runs by backfillId (null: the backfill has no run yet). */
  backfillRuns: DataLoader<string, BackfillRun | null>;
  /** Whose each backfill is, as pop-health (its owner) answers: for backfills without a run only. */
  backfillPartners: DataLoader<string, string | null>;
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
    backfillAssociationPages: groupedPageLoaders<AssociationRow>(prisma, { table: 'PartnerAssociation', parentColumn: 'backfillId' }),
    backfillRuns: new DataLoader(async (ids) => {
      const runs = new Map(
        (await prisma.backfillRun.findMany({ where: { backfillId: { in: [...ids] } } })).map((run) => [run.backfillId, run]),
      );
      return ids.map((id) => runs.get(id) ?? null);
    }),
    // One call per backfill: asked only of backfills whose run has not started (a short, rare state).
    backfillPartners: new DataLoader(async (ids) =>
      Promise.all(
        ids.map(async (id) => (await base.callService('pop-health', BackfillOwnerDocument, { id })).backfill?.partner.id ?? null),
      ),
    ),
  };
}
