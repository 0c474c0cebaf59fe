/**
 * Works one leased partition page by page: reads a page of the window's care requests from care-requests,
 * matches the page with one call to pop-health's matcher, and writes its effects with its checkpoint
 * (page-writer.ts). The next page is read while the current one is matched and written — one page ahead,
 * no more, so memory stays flat whatever the window's size. The lease is renewed after every page; when it
 * is lost (this instance stalled past its lease and another took over) the worker stops without writing.
 * A fault (a call failing, the database) is thrown with the lease still held: the caller releases it.
 */
import type { CallService, WatermarkClock } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import { BackfillWindowPageDocument, type BackfillWindowPageQuery } from '../generated/calls/care-requests';
import { MatchBackfillPageDocument } from '../generated/calls/pop-health';
import type { MatchGrade } from '../generated/prisma/enums';
import { type LeasedPartition, releasePartition, renewLease } from './leases';
import { LeaseLost, type PageMatch, type RunAfterPage, RunStopped, writePage } from './page-writer';

/** What the worker needs of the run the partition belongs to. */
export interface RunSettings {
  rosterId: string;
  batchSize: number;
  acceptGrades: readonly MatchGrade[];
}

export interface WorkerDeps {
  prisma: PrismaClient;
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
  let after = partition.checkpoint;
  let next: Promise<{ careRequestsCreated: WindowPage }> | null = read(after);
  while (next) {
    const page: WindowPage = (await next).careRequestsCreated;
    next = page.hasNextPage && page.endCursor ? read(page.endCursor) : null;
    // A read ahead that is never awaited (the worker stops first) must not become an unhandled rejection.
    next?.catch(() => undefined);
    if (await deps.shouldStop?.()) {
      await releasePartition(deps.prisma, partition.id, deps.owner, false);
      return 'stopped';
    }
    const matches = page.careRequests.length ? await matchPage(deps.callService, settings, page) : [];
    try {
      if (page.careRequests.length) {
        const written = await writePage(deps.prisma, deps.clock, {
          partitionId: partition.id,
          owner: deps.owner,
          after,
          checkpoint: page.endCursor!,
          processed: page.careRequests.length,
          matches,
        });
        deps.onPage?.(written.run);
      }
    } catch (error) {
      if (error instanceof LeaseLost) return 'lease-lost';
      // The run was cancelled (or ended) between the stop check and the write: a stop at this page boundary.
      if (error instanceof RunStopped) {
        await releasePartition(deps.prisma, partition.id, deps.owner, false);
        return 'stopped';
      }
      throw error;
    }
    after = page.endCursor;
    if (next && !(await renewLease(deps.prisma, partition.id, deps.owner, deps.leaseMs))) return 'lease-lost';
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
