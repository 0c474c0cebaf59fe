/**
 * Ingests a roster from a stream: the file is parsed as it arrives, good rows are written in batches
 * (with their matching blocking keys), bad rows are counted and the first ones kept with their reasons.
 * Memory stays flat however long the file is. Re-ingesting the same file (same bytes) for the same partner
 * and kind returns the roster already there instead of a duplicate.
 */
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { badUserInput, conflict, tsWorker, writeStamp, type Database, type Logger, type RequestContext, type WatermarkClock } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import type { Roster as RosterRowDb } from '../generated/prisma/client';
import type { RosterIndex, RosterRef } from '../roster-index/roster-index';
import { finishDataLoad, type LoadReport } from '../service-calls';
import type { ParseSummary, RowBatch } from './parse-worker';

export type RosterKindName = 'CURRENT' | 'BACKFILL';

export interface IngestRequest {
  partnerId: string;
  kind: RosterKindName;
  fileName: string;
}

/** What an ingestion works with: the service's database (Prisma, and its direct path), clock and index. */
export interface RosterStore {
  prisma: PrismaClient;
  database: Pick<Database<PrismaClient>, 'directTransaction'>;
  clock: WatermarkClock;
  index: RosterIndex;
}

const INSERT_MEMBERS = `
  INSERT INTO "RosterPatient" ("id", "memberId", "givenName", "middleName", "familyName", "dateOfBirth", "sex", "ssn",
                               "addressLine1", "city", "state", "postalCode", "rosterId", "lastUpdated")
  SELECT u.id, u.member_id, u.given, u.middle, u.family, u.dob::date, u.sex::"Sex", u.ssn, u.line1, u.city, u.state, u.zip,
         $13, $14::timestamptz
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
              $10::text[], $11::text[], $12::text[])
    AS u(id, member_id, given, middle, family, dob, sex, ssn, line1, city, state, zip)`;

/**
 * Inserts a batch as one statement over column arrays (`unnest`): 14 parameters whatever the batch size.
 * The parse worker sends each column as a ready PostgreSQL array literal, and the statement goes on the
 * database's direct path (not Prisma's): measured on PGlite, 5,000-row batches, 100,000 rows —
 * multi-row VALUES ~70 µs a row, unnest through Prisma ~50, unnest on the direct path ~40; then without
 * the foreign key to Roster and the stored blocking keys ~30 (the rest is PostgreSQL's own work: array
 * parsing, the heap, the WAL, two indexes and the primary key). The rows land in one transaction.
 */
async function insertBatch(store: RosterStore, roster: RosterRef, batch: RowBatch): Promise<void> {
  if (batch.count === 0) return;
  await store.database.directTransaction(async (query) => {
    const stamp = (await writeStamp({ $queryRawUnsafe: (sql, ...values) => query(sql, values) as never })).toISOString();
    await query(INSERT_MEMBERS, [...batch.literals, roster.id, stamp]);
  });
  if (batch.members) {
    await store.index.addMembers(
      roster,
      batch.members.map(({ keys, ...m }) => ({ ...m, givenName: m.givenName!, familyName: m.familyName!, dateOfBirth: m.dateOfBirth!, id: m.id!, rosterId: roster.id, blockingKeys: keys })),
    );
  }
}

/**
 * Parse workers take ~0.3 s to start (module loading), so one is kept started and idle for the next
 * ingestion, and replaced once that ingestion is over. Unreferenced: an idle spare never keeps the
 * process alive.
 */
let spare: Worker | undefined;

/** Starts the idle parse worker ahead of the next ingestion (the service calls it when it starts). */
export function prepareRosterIngestion(): void {
  if (spare) return;
  const worker = tsWorker(path.join(__dirname, 'parse-worker.ts'));
  worker.unref();
  worker.on('error', () => {
    if (spare === worker) spare = undefined;
  });
  spare = worker;
}

function takeParseWorker(): Worker {
  prepareRosterIngestion();
  const worker = spare!;
  spare = undefined;
  worker.ref();
  return worker;
}

/** Deletes a roster and its members together (members have no foreign key to cascade from; see schema). */
async function deleteRoster(prisma: PrismaClient, rosterId: string): Promise<void> {
  await prisma.$transaction([prisma.rosterPatient.deleteMany({ where: { rosterId } }), prisma.roster.deleteMany({ where: { id: rosterId } })]);
}

/**
 * Removes the ingestions started before `startedBefore` that are still INGESTING — the service stopped in
 * the middle of their file — with the members they had written, each in one transaction. A roster that
 * became READY meanwhile is left alone (the status is checked in the delete itself). Returns the removed
 * rosters with their data loads.
 */
export async function removeUnfinishedIngestions(prisma: PrismaClient, startedBefore: Date): Promise<{ id: string; dataLoadId: string | null }[]> {
  const where = { status: 'INGESTING' as const, createdAt: { lt: startedBefore } };
  const removed: { id: string; dataLoadId: string | null }[] = [];
  for (const roster of await prisma.roster.findMany({ where, select: { id: true, dataLoadId: true } })) {
    const gone = await prisma.$transaction(async (tx) => {
      const { count } = await tx.roster.deleteMany({ where: { ...where, id: roster.id } });
      if (count) await tx.rosterPatient.deleteMany({ where: { rosterId: roster.id } });
      return count > 0;
    });
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
 * waits for them. Several replicas may sweep at once: each removal checks the status.
 */
export function sweepAbandonedIngestions({ client, logger, env, callService }: {
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
        logger.warn('could not mark an abandoned roster ingestion FAILED in dataLoads', { roster: id, dataLoad: dataLoadId, message: error.message }),
      );
    }
  };
  let sweeping: Promise<void> = Promise.resolve();
  const sweep = () => {
    sweeping = sweeping.then(sweepOnce).catch((error: Error) => logger.warn('sweeping abandoned roster ingestions failed', { message: error.message }));
  };
  sweep();
  const timer = setInterval(sweep, Math.min(abandonMs, 10 * 60_000));
  timer.unref();
  return async () => {
    clearInterval(timer);
    await sweeping;
  };
}

/**
 * Flow control: the upload is paused while this many file chunks wait for the parser, or this many parsed
 * batches wait for the database. Memory stays bounded (4 MB of file, 12,000 parsed rows) and yet the parser
 * has work while this thread is inside an insert (a PGlite statement holds the thread until it is done).
 * Measured on 100,000 rows (PGlite): 8 chunks and batches of 5,000 took 6.7 s; 64 chunks, 6 batches of
 * 2,000 take 4.0 s.
 */
const MAX_CHUNKS_IN_FLIGHT = 64;
const MAX_BATCHES_WAITING = 6;

/**
 * Reads `source` as a roster file and stores it. Throws BAD_USER_INPUT (and keeps nothing) when the file
 * is not a CSV roster; otherwise returns the roster, READY, with its counts and first rejections.
 */
export async function ingestRoster(
  store: RosterStore,
  request: IngestRequest,
  source: Readable,
  /** Where the ingestion is reported as a data load (see service-calls.ts); none in unit use. */
  report?: (fileName: string) => Promise<LoadReport>,
): Promise<RosterRowDb> {
  const fileName = request.fileName.trim();
  if (!fileName || fileName.length > 255) throw badUserInput('fileName must be 1 to 255 characters.', { field: 'fileName' });
  const load = await report?.(fileName);
  try {
    const roster = await ingest(store, request, fileName, source, load?.id ?? null);
    await load?.finish('COMPLETED', roster.created ? roster.row.acceptedCount : 0);
    return roster.row;
  } catch (error) {
    await load?.finish('FAILED', 0);
    throw error;
  }
}

async function ingest(
  store: RosterStore,
  request: IngestRequest,
  fileName: string,
  source: Readable,
  dataLoadId: string | null,
): Promise<{ row: RosterRowDb; created: boolean }> {
  const { prisma, clock, index } = store;
  const roster = await prisma.$transaction(async (tx) =>
    tx.roster.create({
      data: { partnerId: request.partnerId, kind: request.kind, fileName, contentHash: `pending:${randomUUID()}`, status: 'INGESTING', dataLoadId, lastUpdated: await writeStamp(tx) },
    }),
  );
  const hash = createHash('sha256');
  // Parsing runs in a worker thread while this thread inserts (see roster-parser.ts).
  const worker = takeParseWorker();
  worker.postMessage({ options: { members: index.wantsMembers } });
  const batches: RowBatch[] = [];
  let summary: ParseSummary | null = null;
  let failure: { kind: 'file' | 'csv' | 'other'; message: string } | null = null;
  let inFlight = 0;
  let notify = () => {};
  const flow = () => {
    const full = inFlight >= MAX_CHUNKS_IN_FLIGHT || batches.length >= MAX_BATCHES_WAITING;
    if (full && !source.isPaused()) source.pause();
    else if (!full && source.isPaused() && !failure) source.resume();
  };
  const changed = () => new Promise<void>((resolve) => (notify = resolve));
  worker.on('message', (message: { ack?: true; batch?: RowBatch; done?: ParseSummary; error?: NonNullable<typeof failure> }) => {
    if (message.ack) {
      inFlight -= 1;
    }
    if (message.batch) batches.push(message.batch);
    flow();
    if (message.done) summary = message.done;
    if (message.error) failure = message.error;
    notify();
  });
  worker.on('error', (error) => {
    failure = { kind: 'other', message: error.message };
    notify();
  });
  source.on('data', (chunk: Buffer | string) => {
    hash.update(chunk);
    inFlight += 1;
    worker.postMessage({ chunk: typeof chunk === 'string' ? Buffer.from(chunk) : chunk });
    flow();
  });
  source.on('end', () => worker.postMessage({ end: true }));
  source.on('error', (error) => {
    failure = { kind: 'other', message: error.message };
    notify();
  });
  try {
    for (;;) {
      const next = changed(); // registered before looking, so no message is missed in between
      const batch = batches.shift();
      flow();
      if (batch) {
        await insertBatch(store, roster, batch);
        continue;
      }
      if (failure) break;
      if (summary) break;
      await next;
    }
    if (failure) {
      const { kind, message } = failure as NonNullable<typeof failure>;
      if (kind === 'file') throw badUserInput(message, { fileName });
      if (kind === 'csv') throw badUserInput(`${fileName} is not a readable CSV file: ${message}`, { fileName });
      throw new Error(message);
    }
  } catch (error) {
    source.resume(); // let the rest of the upload drain
    await deleteRoster(prisma, roster.id);
    throw error;
  } finally {
    await worker.terminate();
    prepareRosterIngestion();
  }
  const { rowCount, acceptedCount, rejectedCount, rejections } = summary as unknown as ParseSummary;

  const contentHash = hash.digest('hex');
  const existing = await prisma.roster.findUnique({
    where: { partnerId_kind_contentHash: { partnerId: request.partnerId, kind: request.kind, contentHash } },
  });
  if (existing) {
    // The same file again: keep the roster already ingested, drop this copy.
    await deleteRoster(prisma, roster.id);
    return { row: existing, created: false };
  }
  const finished = await prisma.$transaction(async (tx) => {
    const { count } = await tx.roster.updateMany({
      where: { id: roster.id, status: 'INGESTING' },
      data: { contentHash, status: 'READY', rowCount, acceptedCount, rejectedCount, rejectedRows: rejections as never, lastUpdated: await writeStamp(tx) },
    });
    return count ? tx.roster.findUniqueOrThrow({ where: { id: roster.id } }) : null;
  });
  if (!finished) {
    // Swept as abandoned while it ran (it outlived ROSTER_INGEST_ABANDON_MINUTES): drop what it wrote since.
    await deleteRoster(prisma, roster.id);
    throw conflict(`The ingestion of ${fileName} ran longer than ROSTER_INGEST_ABANDON_MINUTES and was abandoned; nothing of it was kept. Upload it again (or raise the limit).`, { fileName });
  }
  clock.noteWrite('Roster', finished.lastUpdated!);
  return { row: finished, created: true };
}
