/**
 * Works one leased partition page by page: reads a page of the window's care requests from care-requests,
 * matches the page with one call to pop-health's matcher, and writes its effects with its checkpoint
 * (page-writer.ts). Pipelined three deep, no more, so memory stays flat whatever the window's size: while a
 * page is matched, the next one is read and the one before it is written (its transaction commits before
 * the page's own write starts, so checkpoints move in order). The lease is renewed after every page; when it
 * is lost (this instance stalled past its lease and another took over) the worker stops without writing.
 * A fault (a call failing, the database) is thrown with the lease still held: the caller releases it.
 */
import type { CallService, WatermarkClock } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import { BackfillWindowPageDocument, type BackfillWindowPageQuery } from '../generated/calls/care-requests';
import { MatchBackfillPageDocument } from '../generated/calls/pop-health';
import type { MatchGrade } from '../generated/prisma/enums';
import { type LeasedPartition, releasePartition, renewLease } from './leases';
import {
  type DirectTransaction,
  LeaseLost,
  PageAlreadyWritten,
  type PageMatch,
  type RunAfterPage,
  RunStopped,
  writePage,
} from './page-writer';

/** What the worker needs of the run the partition belongs to. */
export interface RunSettings {
  rosterId: string;
  batchSize: number;
  acceptGrades: readonly MatchGrade[];
}

export interface WorkerDeps {
  prisma: PrismaClient;
  /** The database's direct path: each page is written in one of its transactions. */
  transaction: DirectTransaction;
  clock: WatermarkClock;
  callService: CallService;
  /** This instance's name, the lease owner. */
  owner: string;
  leaseMs: number;
  /** Asked before each page: true stops at the page boundary (a cancelled backfill), the lease released. */
  shouldStop?: () => Promise<boolean>;
  /** Told after each page written, with the run's counts after it (progress events). */
  onPage?: (run: RunAfterPage) => void;
}

/** How a partition's work ended: all pages written, stopped at a page boundary, or its lease lost. */
export type PartitionOutcome = 'done' | 'stopped' | 'lease-lost';

type WindowPage = BackfillWindowPageQuery['careRequestsCreated'];

/** Works `partition` of a run with `settings` to its end (see the file's comment). */
export async function processPartition(deps: WorkerDeps, settings: RunSettings, partition: LeasedPartition): Promise<PartitionOutcome> {
  const read = (after: string | null) =>
    deps.callService('care-requests', BackfillWindowPageDocument, {
      window: { from: partition.windowFrom.toISOString(), until: partition.windowUntil.toISOString() },
      after,
      first: settings.batchSize,
    });
  /** Writes a matched page from checkpoint `after`, then renews the lease when more pages follow; an outcome ends the partition. */
  const write = async (page: WindowPage, after: string | null, matches: PageMatch[]): Promise<PartitionOutcome | null> => {
    try {
      const written = await writePage(deps.transaction, deps.clock, {
        partitionId: partition.id,
        owner: deps.owner,
        after,
        checkpoint: page.endCursor!,
        processed: page.careRequests.length,
        matches,
      });
      deps.onPage?.(written.run);
    } catch (error) {
      // Another worker moved the partition past this page (its lease ran out here and was claimed again): it goes on
      // from its checkpoint, this one stops without touching the lease.
      if (error instanceof LeaseLost || error instanceof PageAlreadyWritten) return 'lease-lost';
      // The run was cancelled (or ended) between the stop check and the write: a stop at this page boundary.
      if (error instanceof RunStopped) {
        await releasePartition(deps.prisma, partition.id, deps.owner, false);
        return 'stopped';
      }
      throw error;
    }
    return page.hasNextPage && !(await renewLease(deps.prisma, partition.id, deps.owner, deps.leaseMs)) ? 'lease-lost' : null;
  };
  let after = partition.checkpoint;
  let next: Promise<{ careRequestsCreated: WindowPage }> | null = read(after);
  // The previous page's write, committing while this page is matched; pages commit in order (each from the
  // checkpoint the one before it wrote), so it is awaited before the next write starts.
  let writing: Promise<PartitionOutcome | null> | null = null;
  const written = async () => {
    const pending = writing;
    writing = null;
    return pending && (await pending);
  };
  try {
    while (next) {
      const page: WindowPage = (await next).careRequestsCreated;
      next = page.hasNextPage && page.endCursor ? read(page.endCursor) : null;
      // A read ahead that is never awaited (the worker stops first) must not become an unhandled rejection.
      next?.catch(() => undefined);
      if (await deps.shouldStop?.()) {
        const ended = await written();
        if (ended) return ended;
        await releasePartition(deps.prisma, partition.id, deps.owner, false);
        return 'stopped';
      }
      const matches = page.careRequests.length ? await matchPage(deps.callService, settings, page) : [];
      const ended = await written();
      if (ended) return ended;
      if (page.careRequests.length) {
        writing = write(page, after, matches);
        // Awaited by written() before the next write; a failure while the next page is matched must not end the
        // process as an unhandled rejection in between (seen after a power cut with a 3 s lease).
        writing.catch(() => undefined);
      }
      after = page.endCursor;
    }
    const ended = await written();
    if (ended) return ended;
  } catch (error) {
    // A fault while a write is in flight: let it settle first, so the caller releases a lease no write still uses.
    await writing?.catch(() => undefined);
    throw error;
  }
  return (await releasePartition(deps.prisma, partition.id, deps.owner, true)) ? 'done' : 'lease-lost';
}

/** What the matcher is given of a window page's care request: its patient, keyed by the care request's id. */
export function matcherInput({ id, patient }: WindowPage['careRequests'][number]) {
  return {
    id,
    givenName: patient.givenName,
    middleName: patient.middleName,
    familyName: patient.familyName,
    dateOfBirth: patient.dateOfBirth,
    sex: patient.sex,
    sealedSsn: patient.sealedSsn,
    memberId: patient.memberId,
    addressLine1: patient.address?.line1,
    city: patient.address?.city,
    state: patient.address?.state,
    postalCode: patient.address?.postalCode,
  };
}

/** The page's accepted matches, from one matcher call for the whole page. */
async function matchPage(callService: CallService, settings: RunSettings, page: WindowPage): Promise<PageMatch[]> {
  const { matchPatients } = await callService('pop-health', MatchBackfillPageDocument, {
    rosterId: settings.rosterId,
    patients: page.careRequests.map(matcherInput),
  });
  const accepted = new Set(settings.acceptGrades);
  return matchPatients.flatMap((match) =>
    match.rosterPatientId && accepted.has(match.grade)
      ? [
          {
            careRequestId: match.patientId,
            rosterPatientId: match.rosterPatientId,
            score: match.score,
            grade: match.grade,
            explanation: match.explanation,
          },
        ]
      : [],
  );
}
