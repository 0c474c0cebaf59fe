/**
 * Ingests a roster from a stream: the file is parsed as it arrives (parse-thread.ts), good rows are written
 * in batches and handed to the roster index, bad rows are counted and the first ones kept with their
 * reasons. Memory stays flat however long the file is. Re-ingesting the same file (same bytes) for the same
 * partner and kind returns the roster already there instead of a duplicate.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { badUserInput, conflict, type Database, type WatermarkClock, writeStamp } from '@care-graph/service-kit';
import type { PrismaClient } from '../db';
import type { Roster as RosterRow } from '../generated/prisma/client';
import type { RosterIndex, RosterRef } from '../roster-index/roster-index';
import { ROSTER_PATIENT_COLUMNS, ROSTER_PATIENT_FIELDS } from '../roster-patient-fields';
import type { LoadReport } from '../service-calls';
import { ParseFailure, parseRoster } from './parse-thread';
import type { ParsedBatch, ParseSummary } from './parse-worker';
import { discardRoster } from './roster-discard';

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

const FIELD_COUNT = ROSTER_PATIENT_FIELDS.length;

/** One text array per field (`$1`…, ROSTER_PATIENT_FIELDS order), then the roster id and the write stamp. */
const INSERT_ROSTER_PATIENTS = `
  INSERT INTO "RosterPatient" (${ROSTER_PATIENT_COLUMNS}, "rosterId", "lastUpdated")
  SELECT ${ROSTER_PATIENT_FIELDS.map(({ name, sqlType }) => (sqlType === 'text' ? `u."${name}"` : `u."${name}"::${sqlType}`)).join(', ')},
         $${FIELD_COUNT + 1}, $${FIELD_COUNT + 2}::timestamptz
  FROM unnest(${ROSTER_PATIENT_FIELDS.map((_field, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${ROSTER_PATIENT_COLUMNS})`;

/**
 * Inserts a batch as one statement over column arrays (`unnest`): a parameter per field and two more,
 * whatever the batch size. The parse worker sends each column as a ready PostgreSQL array literal, and the
 * statement goes on the database's direct path (not Prisma's), into a table without a foreign key to
 * Roster or stored blocking keys: each of these choices was measured (see bench/RESULTS.md, "Figures
 * behind design decisions", roster inserts). The rows land in one transaction.
 */
async function insertBatch(store: RosterStore, roster: RosterRef, batch: ParsedBatch): Promise<void> {
  if (batch.count === 0) return;
  await store.database.directTransaction(async (query) => {
    const stamp = (await writeStamp({ $queryRawUnsafe: (sql, ...values) => query(sql, values) as never })).toISOString();
    await query(INSERT_ROSTER_PATIENTS, [...batch.literals, roster.id, stamp]);
  });
  if (batch.rosterPatients) {
    // The parse worker sends only accepted rows: their id, names and date of birth are never null.
    const documents = batch.rosterPatients.map((p) => ({
      ...p,
      id: p.id!,
      givenName: p.givenName!,
      familyName: p.familyName!,
      dateOfBirth: p.dateOfBirth!,
      rosterId: roster.id,
    }));
    await store.index.addRosterPatients(roster, documents);
  }
}

/**
 * Deletes a roster and its roster patients together (they have no foreign key to cascade from; see schema);
 * a roster a backfill refers to stays, FAILED with `reason` (roster-discard.ts).
 */
async function deleteRoster(prisma: PrismaClient, rosterId: string, reason: string, replacement?: string): Promise<void> {
  await prisma.$transaction((tx) => discardRoster(tx, rosterId, reason, { replacement }));
}

/** The error a failed parse means to the caller: the file's fault (BAD_USER_INPUT), or an unexpected one. */
function parseError(failure: ParseFailure, fileName: string): Error {
  if (failure.kind === 'file') return badUserInput(failure.message, { fileName });
  if (failure.kind === 'csv') return badUserInput(`${fileName} is not a readable CSV file: ${failure.message}`, { fileName });
  return new Error(failure.message);
}

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
): Promise<RosterRow> {
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
): Promise<{ row: RosterRow; created: boolean }> {
  const { prisma, clock, index } = store;
  const roster = await prisma.$transaction(async (tx) =>
    tx.roster.create({
      data: {
        partnerId: request.partnerId,
        kind: request.kind,
        fileName,
        contentHash: `pending:${randomUUID()}`,
        status: 'INGESTING',
        dataLoadId,
        lastUpdated: await writeStamp(tx),
      },
    }),
  );
  const hash = createHash('sha256');
  let summary: ParseSummary | undefined;
  try {
    // Parsing runs on a worker thread while this thread inserts.
    for await (const event of parseRoster(source, { rosterPatients: index.wantsRosterPatients, onChunk: (chunk) => hash.update(chunk) })) {
      if ('batch' in event) await insertBatch(store, roster, event.batch);
      else summary = event.summary;
    }
    if (!summary) throw new Error(`The parsing of ${fileName} ended without a summary.`);
  } catch (error) {
    const failure = error instanceof ParseFailure ? parseError(error, fileName) : (error as Error);
    await deleteRoster(prisma, roster.id, failure.message);
    throw failure;
  }
  const { rowCount, acceptedCount, rejectedCount, rejections, termFrequencies } = summary;

  const contentHash = hash.digest('hex');
  const existing = await prisma.roster.findUnique({
    where: { partnerId_kind_contentHash: { partnerId: request.partnerId, kind: request.kind, contentHash } },
  });
  if (existing) {
    // The same file again: keep the roster already ingested, drop this copy.
    await deleteRoster(prisma, roster.id, `${fileName} was ingested before as roster ${existing.id}.`, existing.id);
    return { row: existing, created: false };
  }
  const finished = await prisma.$transaction(async (tx) => {
    const { count } = await tx.roster.updateMany({
      where: { id: roster.id, status: 'INGESTING' },
      data: {
        contentHash,
        status: 'READY',
        rowCount,
        acceptedCount,
        rejectedCount,
        rejectedRows: rejections as never,
        lastUpdated: await writeStamp(tx),
      },
    });
    if (!count) return null;
    // Kept with the roster, for the matching: see @care-graph/matching's frequencies.ts.
    await tx.rosterTermFrequencies.create({
      data: { rosterId: roster.id, size: termFrequencies.size, counts: termFrequencies.counts as never },
    });
    return tx.roster.findUniqueOrThrow({ where: { id: roster.id } });
  });
  if (!finished) {
    // Swept as abandoned while it ran (it outlived ROSTER_INGEST_ABANDON_MINUTES): drop what it wrote since.
    await deleteRoster(prisma, roster.id, `The ingestion of ${fileName} ran longer than ROSTER_INGEST_ABANDON_MINUTES and was abandoned.`);
    throw conflict(
      `The ingestion of ${fileName} ran longer than ROSTER_INGEST_ABANDON_MINUTES and was abandoned; nothing of it was kept. Upload it again (or raise the limit).`,
      { fileName },
    );
  }
  clock.noteWrite('Roster', finished.lastUpdated!);
  return { row: finished, created: true };
}
