/**
 * Partitions are claimed with leases held in the database, so that any number of runner instances share a
 * backfill and no partition is processed by two at once. A claim takes a partition that is not done, of a
 * running run, whose lease is free or expired, locking the row with `FOR UPDATE SKIP LOCKED` so concurrent
 * claimers each take a different one without waiting on each other. The holder renews the lease while it
 * works; if it dies, the lease expires and another instance takes the partition over from its checkpoint
 * (the page writer refuses pages from a holder whose lease was taken: page-writer.ts). Time is the database's
 * clock, never an instance's, so instances with skewed clocks agree on expiry. A partition released after a
 * transient fault is not claimable before its `retryAt` (the backoff), by any instance.
 */
import type { PrismaClient } from '../db';

export interface LeasedPartition {
  id: string;
  backfillId: string;
  windowFrom: Date;
  windowUntil: Date;
  checkpoint: string | null;
  leaseExpiresAt: Date;
}

const RETURNED = 'p.id, p."backfillId", p."windowFrom", p."windowUntil", p.checkpoint, p."leaseExpiresAt"';

/** What a claim needs of a database client: the Prisma client, or the runner's idle path (runner.ts). */
export type RawQueryClient = Pick<PrismaClient, '$queryRawUnsafe'>;

/** Leases one claimable partition to `owner` for `leaseMs`, or null when none is claimable now. */
export async function claimPartition(prisma: RawQueryClient, owner: string, leaseMs: number): Promise<LeasedPartition | null> {
  const [claimed] = await prisma.$queryRawUnsafe<LeasedPartition[]>(
    `UPDATE "BackfillPartition" p SET "leaseOwner" = $1, "leaseExpiresAt" = clock_timestamp() + make_interval(secs => $2::double precision / 1000)
     WHERE p.id = (
       SELECT q.id FROM "BackfillPartition" q JOIN "BackfillRun" r ON r."backfillId" = q."backfillId"
       WHERE NOT q.done AND r.status = 'RUNNING' AND (q."leaseExpiresAt" IS NULL OR q."leaseExpiresAt" <= clock_timestamp())
         AND (q."retryAt" IS NULL OR q."retryAt" <= clock_timestamp())
       ORDER BY r."createdAt", q."windowFrom"
       LIMIT 1 FOR UPDATE OF q SKIP LOCKED)
     RETURNING ${RETURNED}`,
    owner,
    leaseMs,
  );
  return claimed ?? null;
}

/**
 * Applies `set` (SQL, `$3` = `value`) to `partitionId` while `owner` holds it — and, with `live`, only while its
 * lease has not expired; false when it is not (or no longer) `owner`'s.
 */
async function updateHeld(
  prisma: PrismaClient,
  set: string,
  partitionId: string,
  owner: string,
  value: unknown,
  live = true,
): Promise<boolean> {
  const updated = await prisma.$executeRawUnsafe(
    `UPDATE "BackfillPartition" SET ${set}
     WHERE id = $1 AND "leaseOwner" = $2${live ? ' AND "leaseExpiresAt" > clock_timestamp()' : ''}`,
    partitionId,
    owner,
    value,
  );
  return updated === 1;
}

/** Extends `owner`'s lease on `partitionId` by `leaseMs` from now; false when it is no longer `owner`'s. */
export function renewLease(prisma: PrismaClient, partitionId: string, owner: string, leaseMs: number): Promise<boolean> {
  return updateHeld(
    prisma,
    '"leaseExpiresAt" = clock_timestamp() + make_interval(secs => $3::double precision / 1000)',
    partitionId,
    owner,
    leaseMs,
  );
}

/** Ends `owner`'s lease on `partitionId`, marking it done when its last page was written; false when not `owner`'s. */
export function releasePartition(prisma: PrismaClient, partitionId: string, owner: string, done: boolean): Promise<boolean> {
  return updateHeld(prisma, '"leaseOwner" = NULL, "leaseExpiresAt" = NULL, done = done OR $3', partitionId, owner, done);
}

/** Ends `owner`'s lease on `partitionId` after a transient fault: no instance claims it for `retryMs`. */
export function releaseForRetry(prisma: PrismaClient, partitionId: string, owner: string, retryMs: number): Promise<boolean> {
  return updateHeld(
    prisma,
    '"leaseOwner" = NULL, "leaseExpiresAt" = NULL, "retryAt" = clock_timestamp() + make_interval(secs => $3::double precision / 1000)',
    partitionId,
    owner,
    retryMs,
    false,
  );
}
