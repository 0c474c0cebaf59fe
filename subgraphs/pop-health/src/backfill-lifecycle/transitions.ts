/**
 * The changes of a backfill's status and phase that a request makes (start, cancel, finish), each one
 * transaction that takes the write stamp, so no reader ever sees half of one. The lifecycle driver
 * (driver.ts) makes the others. What a client can see, by status:
 *
 *   PENDING   / HANDING_OFF                  no startedAt, no finishedAt
 *   INGESTING / WAITING_FOR_ROSTER | HANDING_OFF
 *   RUNNING   / MATCHING | CANCELLING         startedAt, no finishedAt
 *   COMPLETED | FAILED | CANCELLED / CANCELLING | NOTIFYING | DONE   finishedAt (startedAt when it ran)
 */
import { conflict, type Identity, notFound, writeStamp } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import type { Backfill as BackfillRow } from '../generated/prisma/client';
import type { BackfillStatus } from '../generated/prisma/enums';

type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export const ACTIVE_STATUSES: BackfillStatus[] = ['PENDING', 'INGESTING', 'RUNNING'];
const TERMINAL_STATUSES: BackfillStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** The counts of a run, as partners reports them when it ends (kept for the email). */
export interface RunCounts {
  processed: number;
  total: number;
  matched: number;
  created: number;
  alreadyAssociated: number;
}
export const NO_COUNTS: RunCounts = { processed: 0, total: 0, matched: 0, created: 0, alreadyAssociated: 0 };

/** Locks the backfill's row for the rest of `tx` and reads it; null when there is none. */
async function lockBackfill(tx: Transaction, id: string): Promise<BackfillRow | null> {
  await tx.$queryRaw`SELECT id FROM "Backfill" WHERE id = ${id} FOR UPDATE`;
  return tx.backfill.findUnique({ where: { id } });
}

/**
 * Records how a backfill ended: status, finishedAt, phase NOTIFYING (the driver then closes its data load and
 * sends the email) and the final counts, in one transaction. Idempotent: a backfill that already ended is
 * returned unchanged, except a cancelled one still waiting for its run's final counts (phase CANCELLING),
 * which takes them. NOT_FOUND for an unknown id.
 */
export async function recordFinish(
  prisma: PrismaClient,
  id: string,
  outcome: 'COMPLETED' | 'FAILED' | 'CANCELLED',
  counts: RunCounts,
  error: string | null,
): Promise<BackfillRow> {
  return prisma.$transaction(async (tx) => {
    const backfill = await lockBackfill(tx, id);
    if (!backfill) throw notFound(`No backfill ${id}.`);
    const waitingForCounts = backfill.status === 'CANCELLED' && backfill.phase === 'CANCELLING';
    if (!ACTIVE_STATUSES.includes(backfill.status) && !waitingForCounts) return backfill;
    const stamp = await writeStamp(tx);
    return tx.backfill.update({
      where: { id },
      data: {
        status: waitingForCounts ? 'CANCELLED' : outcome,
        phase: 'NOTIFYING',
        finishedAt: backfill.finishedAt ?? stamp,
        reportedCounts: { ...counts },
        error: error ?? backfill.error,
        stepError: null,
        stepAttempts: 0,
        stepRetryAt: null,
        lastUpdated: stamp,
      },
    });
  });
}

/**
 * Cancels a backfill for `identity`. Before its hand-off reached partners (no data load opened yet) it is
 * CANCELLED at once with nothing counted; once a run may exist, CANCELLED (not running yet) or still RUNNING,
 * in phase CANCELLING, until the driver has stopped the run and has its final counts. Cancelling again while
 * that goes on returns the backfill as it is. CONFLICT for a backfill that already ended; NOT_FOUND for an unknown id.
 */
export async function requestCancel(prisma: PrismaClient, id: string, identity: Identity): Promise<BackfillRow> {
  return prisma.$transaction(async (tx) => {
    const backfill = await lockBackfill(tx, id);
    if (!backfill) throw notFound(`No backfill ${id}.`);
    if (TERMINAL_STATUSES.includes(backfill.status)) {
      throw conflict(`Backfill ${id} already ${backfill.status}; there is nothing to cancel.`, { backfillId: id });
    }
    if (backfill.phase === 'CANCELLING') return backfill;
    const stamp = await writeStamp(tx);
    const who = { cancelledBy: identity.subject, cancelledAt: stamp, cancelRequested: true, lastUpdated: stamp };
    if (backfill.status === 'RUNNING') return tx.backfill.update({ where: { id }, data: { ...who, phase: 'CANCELLING' } });
    const runMayExist = backfill.dataLoadId !== null;
    return tx.backfill.update({
      where: { id },
      data: {
        ...who,
        status: 'CANCELLED',
        finishedAt: stamp,
        phase: runMayExist ? 'CANCELLING' : 'NOTIFYING',
        ...(runMayExist ? {} : { reportedCounts: { ...NO_COUNTS } }),
        stepError: null,
        stepAttempts: 0,
        stepRetryAt: null,
      },
    });
  });
}
