/**
 * What care-requests asks of the other services, by explicit GraphQL calls (services never import each other):
 * which care requests a partner is associated with, since partners holds the associations and a partner token
 * may see a care request only through one.
 *
 * The documents are `operations/<callee>.graphql`, typed by codegen against the callee's subgraph SDL.
 */
import { DataLoader, type RequestContext } from '@care-graph/service-kit';
import { AssociatedCareRequestIdsDocument } from './generated/calls/partners';

/** The most ids one partners call checks (partners refuses more: ASSOCIATION_CHECK_LIMIT). */
const ASSOCIATION_CHECK_BATCH = 1000;

/**
 * Whether each care request is associated with partner `partnerId`: every id asked in one tick is one partners
 * call (a gateway fetch of 100 care requests costs one call, not 100).
 */
export function associatedWithPartnerLoader(ctx: Pick<RequestContext, 'callService'>, partnerId: string): DataLoader<string, boolean> {
  return new DataLoader<string, boolean>(
    async (careRequestIds) => {
      const data = await ctx.callService('partners', AssociatedCareRequestIdsDocument, { partnerId, careRequestIds: [...careRequestIds] });
      const associated = new Set(data.associatedCareRequestIds);
      return careRequestIds.map((id) => associated.has(id));
    },
    { maxBatchSize: ASSOCIATION_CHECK_BATCH },
  );
}
