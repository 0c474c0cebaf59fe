/**
 * What becomes of a roster whose ingestion did not end READY. Its roster patients always go. The Roster row
 * goes too, unless a backfill refers to it (a backfill may be started on a roster still ingesting): then it
 * stays, FAILED, with the reason, so the backfill can say why it failed.
 */
import { writeStamp } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';

type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/**
 * Inside `tx`: removes the roster `rosterId` if it still matches `where` (e.g. still INGESTING), or marks it
 * FAILED with `reason` when a backfill refers to it. `replacement`: a READY roster of the same file, to which
 * such backfills move instead (the roster is then removed). Returns whether the roster matched.
 */
export async function discardRoster(
  tx: Transaction,
  rosterId: string,
  reason: string,
  { where = {}, replacement }: { where?: { status?: 'INGESTING'; createdAt?: { lt: Date } }; replacement?: string } = {},
): Promise<boolean> {
  const stamp = await writeStamp(tx);
  if (replacement) await tx.backfill.updateMany({ where: { rosterId }, data: { rosterId: replacement, lastUpdated: stamp } });
  const removed = await tx.roster.deleteMany({ where: { ...where, id: rosterId, backfills: { none: {} } } });
  const failed = removed.count
    ? removed
    : await tx.roster.updateMany({ where: { ...where, id: rosterId }, data: { status: 'FAILED', error: reason, lastUpdated: stamp } });
  // Also when the roster is gone already (swept while its ingestion still wrote roster patients).
  if (failed.count || !(await tx.roster.count({ where: { id: rosterId } }))) await tx.rosterPatient.deleteMany({ where: { rosterId } });
  return failed.count > 0;
}
