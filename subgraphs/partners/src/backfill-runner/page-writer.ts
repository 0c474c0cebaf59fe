/**
 * A page's effects and its checkpoint, exactly once. The runner matches a page of a partition's care requests
 * and hands the result here; one transaction then
 *   1. moves the partition's checkpoint past the page — only while the caller still holds the partition's
 *      lease, so an instance whose lease was taken over cannot write a stale page (`LeaseLost`), and only
 *      from the checkpoint the page started after, so a page is never counted twice (`PageAlreadyWritten`);
 *      either way nothing of the page is kept;
 *   2. inserts the page's associations, keeping any association the partner already has for a care request
 *      (whatever its source) and counting it as already associated — so a page written again after a crash
 *      between matching and commit changes nothing;
 *   3. adds the page to the run's counts.
 * A crash before the commit leaves the checkpoint before the page, and the page is done again; after it,
 * the page is never done again. A dry run moves the checkpoint and counts, writes no association, and keeps
 * the first matches (up to MATCH_SAMPLE_SIZE) as the run's sample for review.
 *
 * The transaction first locks the run's row (`FOR UPDATE`) and refuses a page of a run that is no longer
 * RUNNING (`RunStopped`): `cancelBackfillRun` takes the same lock, so once it has answered no page adds to the
 * counts it answered with.
 */
import { type Database, type WatermarkClock, writeStamp } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import type { MatchGrade } from '../generated/prisma/enums';

/** A care request of the page that matched a roster member with an accepted grade. */
export interface PageMatch {
  careRequestId: string;
  rosterPatientId: string;
  score: number;
  grade: MatchGrade;
  /** The structured explanation `matchPatients` gives, stored with the association. */
  explanation: unknown;
}

export interface Page {
  partitionId: string;
  /** The instance writing it: must hold the partition's lease. */
  owner: string;
  /** The checkpoint the page was read after (null for a partition's first page). */
  after: string | null;
  /** The page's endCursor: where the partition resumes. */
  checkpoint: string;
  /** Care requests the page held (matched or not). */
  processed: number;
  matches: readonly PageMatch[];
}

/** The partition's checkpoint is no longer the one the page was read after: it was written already. */
export class PageAlreadyWritten extends Error {
  constructor(partitionId: string) {
    super(`Partition ${partitionId} has moved past this page; resume from its checkpoint.`);
    this.name = 'PageAlreadyWritten';
  }
}

export interface WrittenPage {
  created: number;
  alreadyAssociated: number;
  run: RunAfterPage;
}

/** The run is no longer RUNNING (cancelled, failed or complete): the page was not written. */
export class RunStopped extends Error {
  constructor(
    backfillId: string,
    readonly status: string,
  ) {
    super(`The run of backfill ${backfillId} is ${status}; its page was not written.`);
    this.name = 'RunStopped';
  }
}

/** Matches a dry run keeps for review. */
const MATCH_SAMPLE_SIZE = 20;

/** The run's counts after the page (for its progress event). */
export interface RunAfterPage {
  backfillId: string;
  status: 'RUNNING';
  total: number;
  processed: number;
  matched: number;
  created: number;
  alreadyAssociated: number;
  firstPageAt: Date;
}

/** The partition's lease is no longer the caller's (expired and taken over): the page was not written. */
export class LeaseLost extends Error {
  constructor(partitionId: string, owner: string) {
    super(`Partition ${partitionId} is no longer leased to ${owner}; its page was not written.`);
    this.name = 'LeaseLost';
  }
}

/** `Database.directTransaction` of the partners database: the page is written straight on the driver. */
export type DirectTransaction = Database<PrismaClient>['directTransaction'];

/**
 * The page's associations from one JSON document (`$4`: an array of matches) rather than five parameters a
 * match: the driver then encodes one string a page instead of ~1,750 values, and PostgreSQL parses the
 * explanations as part of the document (bench/RESULTS.md, "Backfill", where a page's write time went).
 */
const INSERT_PAGE_ASSOCIATIONS = `
  WITH inserted AS (
    INSERT INTO "PartnerAssociation"
      (id, "partnerId", "careRequestId", "rosterPatientId", "backfillId", source, "matchScore", "matchGrade", "matchExplanation", "lastUpdated")
    SELECT gen_random_uuid()::text, $1, m."careRequestId", m."rosterPatientId", $2, 'BACKFILL', m.score, m.grade::"MatchGrade", m.explanation,
           $3::timestamptz
    FROM jsonb_to_recordset($4::jsonb) AS m("careRequestId" text, "rosterPatientId" text, score double precision, grade text, explanation jsonb)
    ON CONFLICT ("partnerId", "careRequestId") DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::int AS created FROM inserted`;

/** Writes `page` (see the file's comment) in one transaction of `transaction`; `clock` learns of the associations' stamp. */
export async function writePage(transaction: DirectTransaction, clock: WatermarkClock, page: Page): Promise<WrittenPage> {
  const { written, stamp } = await transaction(async (query) => {
    const stamp = await writeStamp({ $queryRawUnsafe: (sql, ...values) => query(sql, values) as never });
    const [run] = await query<{ backfillId: string; partnerId: string; dryRun: boolean; status: string; sampled: number }>(
      `SELECT r."backfillId", r."partnerId", r."dryRun", r.status, jsonb_array_length(r."matchSample")::int AS sampled
       FROM "BackfillRun" r JOIN "BackfillPartition" p ON p."backfillId" = r."backfillId" WHERE p.id = $1
       FOR UPDATE OF r`,
      [page.partitionId],
    );
    if (run && run.status !== 'RUNNING') throw new RunStopped(run.backfillId, run.status);
    const [partition] = await query<{ backfillId: string }>(
      `UPDATE "BackfillPartition" SET checkpoint = $1, processed = processed + $2
       WHERE id = $3 AND "leaseOwner" = $4 AND "leaseExpiresAt" > clock_timestamp() AND checkpoint IS NOT DISTINCT FROM $5::text
       RETURNING "backfillId"`,
      [page.checkpoint, page.processed, page.partitionId, page.owner, page.after],
    );
    if (!partition) {
      const [held] = await query(
        `SELECT 1 FROM "BackfillPartition" WHERE id = $1 AND "leaseOwner" = $2 AND "leaseExpiresAt" > clock_timestamp()`,
        [page.partitionId, page.owner],
      );
      throw held ? new PageAlreadyWritten(page.partitionId) : new LeaseLost(page.partitionId, page.owner);
    }
    let created = 0;
    if (!run.dryRun && page.matches.length > 0) {
      const [inserted] = await query<{ created: number }>(INSERT_PAGE_ASSOCIATIONS, [
        run.partnerId,
        partition.backfillId,
        stamp.toISOString(),
        JSON.stringify(page.matches),
      ]);
      created = inserted.created;
    }
    const alreadyAssociated = run.dryRun ? 0 : page.matches.length - created;
    const sample = run.dryRun ? page.matches.slice(0, Math.max(0, MATCH_SAMPLE_SIZE - run.sampled)) : [];
    // A page written clears the transient fault the run was retrying: the run is moving again.
    const [after] = await query<RunAfterPage>(
      `UPDATE "BackfillRun" SET processed = processed + $1, matched = matched + $2, created = created + $3,
         "alreadyAssociated" = "alreadyAssociated" + $4, "lastUpdated" = $5::timestamptz,
         "firstPageAt" = COALESCE("firstPageAt", clock_timestamp()), "lastError" = NULL, attempts = 0,
         "matchSample" = "matchSample" || $7::jsonb
       WHERE "backfillId" = $6
       RETURNING "backfillId", status, total, processed, matched, created, "alreadyAssociated", "firstPageAt"`,
      [page.processed, page.matches.length, created, alreadyAssociated, stamp.toISOString(), partition.backfillId, JSON.stringify(sample)],
    );
    return { written: { created, alreadyAssociated, run: { ...after, firstPageAt: new Date(after.firstPageAt) } }, stamp };
  });
  if (written.created > 0) clock.noteWrite('PartnerAssociation', stamp);
  return written;
}
