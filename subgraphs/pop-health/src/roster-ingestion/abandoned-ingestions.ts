/**
 * Ingestions left INGESTING by a service that stopped in the middle of their file: found by age, removed
 * with the roster patients they had written, and marked FAILED in the data-load feed.
 */
import type { Logger, RequestContext } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import { finishDataLoad } from '../service-calls';
import { discardRoster } from './roster-discard';

/**
 * Removes the ingestions started before `startedBefore` that are still INGESTING — the service stopped in
 * the middle of their file — with the roster patients they had written, each in one transaction. A roster
 * that became READY meanwhile is left alone (the status is checked in the delete itself). Returns the
 * removed rosters with their data loads.
 */
export async function removeUnfinishedIngestions(
  prisma: PrismaClient,
  startedBefore: Date,
): Promise<{ id: string; dataLoadId: string | null }[]> {
  const where = { status: 'INGESTING' as const, createdAt: { lt: startedBefore } };
  const removed: { id: string; dataLoadId: string | null }[] = [];
  for (const roster of await prisma.roster.findMany({ where, select: { id: true, dataLoadId: true } })) {
    const gone = await prisma.$transaction((tx) =>
      discardRoster(tx, roster.id, 'The ingestion was abandoned: the service stopped in the middle of the file. Upload it again.', {
        where,
      }),
    );
    if (gone) removed.push(roster);
  }
  return removed;
}

/** `ROSTER_INGEST_ABANDON_MINUTES`: how long an ingestion may stay INGESTING before it counts as abandoned. */
export function abandonAfterMinutes(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.ROSTER_INGEST_ABANDON_MINUTES;
  if (value === undefined || value === '') return 60;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes < 1) {
    throw new Error(`ROSTER_INGEST_ABANDON_MINUTES must be a number of minutes, at least 1; got "${value}".`);
  }
  return minutes;
}

/**
 * The pop-health service's housekeeping: at start, then every ten minutes (or the abandon time, if
 * shorter), removes ingestions left INGESTING for longer than `ROSTER_INGEST_ABANDON_MINUTES` (default 60;
 * a 100,000-row file takes seconds), and marks their entries in the data-load feed FAILED, so that nobody
 * waits for them. Several replicas may sweep at once: each removal checks the status. Returns a function
 * that stops the sweeping and waits for a sweep under way.
 */
export function sweepAbandonedIngestions({
  client,
  logger,
  env,
  callService,
}: {
  client: PrismaClient;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  callService: RequestContext['callService'];
}): () => Promise<void> {
  const abandonMs = abandonAfterMinutes(env) * 60_000;
  const sweepOnce = async () => {
    const removed = await removeUnfinishedIngestions(client, new Date(Date.now() - abandonMs));
    if (removed.length) logger.warn('removed abandoned roster ingestions', { rosters: removed.map((r) => r.id) });
    for (const { id, dataLoadId } of removed) {
      if (!dataLoadId) continue;
      await finishDataLoad(callService, dataLoadId, 'FAILED', 0).catch((error: Error) =>
        logger.warn('could not mark an abandoned roster ingestion FAILED in dataLoads', {
          roster: id,
          dataLoad: dataLoadId,
          message: error.message,
        }),
      );
    }
  };
  let sweeping: Promise<void> = Promise.resolve();
  const sweep = () => {
    sweeping = sweeping
      .then(sweepOnce)
      .catch((error: Error) => logger.warn('sweeping abandoned roster ingestions failed', { message: error.message }));
  };
  sweep();
  const timer = setInterval(sweep, Math.min(abandonMs, 10 * 60_000));
  timer.unref();
  return async () => {
    clearInterval(timer);
    await sweeping;
  };
}
