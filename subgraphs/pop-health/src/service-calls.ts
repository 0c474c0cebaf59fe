/**
 * What pop-health asks of the other services, by explicit GraphQL calls (services never import each other):
 * that a partner exists (partners), and that a roster ingestion is listed in the data-load feed
 * (care-requests), so integrators know when a roster is complete. A failure to report a load is logged
 * and does not fail the ingestion itself (the roster is stored either way).
 *
 * The documents are `operations/<callee>.graphql`, typed by codegen against the callee's subgraph SDL.
 */
import { type CallService, createLogger, notFound, type RequestContext } from '@care-graph/service-kit';
import { FinishDataLoadDocument, StartDataLoadDocument } from './generated/calls/care-requests';
import { PartnerExistsDocument } from './generated/calls/partners';

const logger = createLogger('pop-health');

export interface LoadReport {
  /** The data load's id, or null when it could not be recorded. */
  readonly id: string | null;
  finish(status: 'COMPLETED' | 'FAILED', recordCount: number): Promise<void>;
}

/** Marks a data load as finished (in care-requests' feed). */
export async function finishDataLoad(
  callService: CallService,
  id: string,
  status: 'COMPLETED' | 'FAILED',
  recordCount: number,
): Promise<void> {
  await callService('care-requests', FinishDataLoadDocument, { id, status, recordCount });
}

/**
 * Opens a data load for partner `partnerId`'s roster ingestion (the partner's token may follow it in
 * `dataLoaded`); a load that could not be opened is logged, and its report does nothing.
 */
export async function startLoadReport(
  ctx: Pick<RequestContext, 'callService' | 'requestId'>,
  source: string,
  partnerId: string,
): Promise<LoadReport> {
  let id: string | null = null;
  try {
    const data = await ctx.callService('care-requests', StartDataLoadDocument, { input: { kind: 'ROSTER_INGESTION', source, partnerId } });
    id = data.startDataLoad.id;
  } catch (error) {
    logger.warn('could not record the roster ingestion in dataLoads', { requestId: ctx.requestId, message: (error as Error).message });
  }
  return {
    id,
    async finish(status, recordCount) {
      if (!id) return;
      try {
        await finishDataLoad(ctx.callService, id, status, recordCount);
      } catch (error) {
        logger.warn('could not finish the roster ingestion in dataLoads', { requestId: ctx.requestId, message: (error as Error).message });
      }
    },
  };
}

/** Throws NOT_FOUND unless the partners service knows `partnerId`. */
export async function assertPartnerExists(ctx: Pick<RequestContext, 'callService'>, partnerId: string): Promise<void> {
  const data = await ctx.callService('partners', PartnerExistsDocument, { id: partnerId });
  if (!data.partner) throw notFound(`No partner ${partnerId}; create it with createPartner first.`);
}
