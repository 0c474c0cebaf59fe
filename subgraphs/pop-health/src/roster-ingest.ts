/**
 * Ingests a roster from a stream: the file is parsed as it arrives, good rows are written in batches
 * (with their matching blocking keys), bad rows are counted and the first ones kept with their reasons.
 * Memory stays flat however long the file is. Re-ingesting the same file (same bytes) for the same partner
 * and kind returns the roster already there instead of a duplicate.
 */
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { badUserInput, writeStamp, type WatermarkClock } from '@care-graph/service-kit';
import type { PrismaClient } from './db';
import type { Roster as RosterRowDb } from './generated/prisma/client';
import type { RosterIndex, RosterRef } from './roster-index';
import type { LoadReport } from './service-calls';
import type { ParseSummary, RowBatch } from './roster-parser';

export type RosterKindName = 'CURRENT' | 'BACKFILL';

export interface IngestRequest {
  partnerId: string;
  kind: RosterKindName;
  fileName: string;
}

/**
 * Inserts a batch as one statement over column arrays (`unnest`): 15 parameters whatever the batch size,
 * instead of 15 per row. On PGlite this halves the time of a 100,000-row roster against a multi-row VALUES
 * list; the rows and their blocking keys land in one transaction.
 */
async function insertBatch(prisma: PrismaClient, index: RosterIndex, roster: RosterRef, batch: RowBatch): Promise<void> {
  if (batch.count === 0) return;
  await prisma.$transaction(async (tx) => {
    const stamp = (await writeStamp(tx)).toISOString();
    await tx.$executeRawUnsafe(
      `INSERT INTO "RosterPatient" ("id", "rosterId", "memberId", "givenName", "middleName", "familyName", "dateOfBirth", "sex", "ssn",
                                    "addressLine1", "city", "state", "postalCode", "blockingKeys", "lastUpdated")
       SELECT u.id, $14, u.member_id, u.given, u.middle, u.family, u.dob::date, u.sex::"Sex", u.ssn, u.line1, u.city, u.state, u.zip,
              u.keys::text[], $15::timestamptz
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                   $10::text[], $11::text[], $12::text[], $13::text[])
         AS u(id, member_id, given, middle, family, dob, sex, ssn, line1, city, state, zip, keys)`,
      ...batch.columns,
      roster.id,
      stamp,
    );
  });
  if (index.wantsMembers) {
    const c = batch.columns;
    await index.addMembers(
      roster,
      batch.keys.map((keys, i) => ({
        id: c[0][i]!, memberId: c[1][i], givenName: c[2][i]!, middleName: c[3][i], familyName: c[4][i]!, dateOfBirth: c[5][i]!, sex: c[6][i],
        ssn: c[7][i], addressLine1: c[8][i], city: c[9][i], state: c[10][i], postalCode: c[11][i], rosterId: roster.id, blockingKeys: keys,
      })),
    );
  }
}

/** How many file chunks may wait for the parser before the upload is paused (flow control). */
const MAX_CHUNKS_IN_FLIGHT = 8;

/**
 * Reads `source` as a roster file and stores it. Throws BAD_USER_INPUT (and keeps nothing) when the file
 * is not a CSV roster; otherwise returns the roster, READY, with its counts and first rejections.
 */
export async function ingestRoster(
  prisma: PrismaClient,
  clock: WatermarkClock,
  index: RosterIndex,
  request: IngestRequest,
  source: Readable,
  /** Where the ingestion is reported as a data load (see service-calls.ts); none in unit use. */
  report?: (fileName: string) => Promise<LoadReport>,
): Promise<RosterRowDb> {
  const fileName = request.fileName.trim();
  if (!fileName || fileName.length > 255) throw badUserInput('fileName must be 1 to 255 characters.', { field: 'fileName' });
  const load = await report?.(fileName);
  try {
    const roster = await ingest(prisma, clock, index, request, fileName, source);
    await load?.finish('COMPLETED', roster.created ? roster.row.acceptedCount : 0);
    return roster.row;
  } catch (error) {
    await load?.finish('FAILED', 0);
    throw error;
  }
}

async function ingest(
  prisma: PrismaClient,
  clock: WatermarkClock,
  index: RosterIndex,
  request: IngestRequest,
  fileName: string,
  source: Readable,
): Promise<{ row: RosterRowDb; created: boolean }> {
  const roster = await prisma.$transaction(async (tx) =>
    tx.roster.create({
      data: { partnerId: request.partnerId, kind: request.kind, fileName, contentHash: `pending:${randomUUID()}`, status: 'INGESTING', lastUpdated: await writeStamp(tx) },
    }),
  );
  const hash = createHash('sha256');
  // Parsing runs in a worker thread while this thread inserts (see roster-parser.ts).
  const worker = new Worker(path.join(__dirname, 'roster-parse-worker.js'));
  const batches: RowBatch[] = [];
  let summary: ParseSummary | null = null;
  let failure: { kind: 'file' | 'csv' | 'other'; message: string } | null = null;
  let inFlight = 0;
  let notify = () => {};
  const changed = () => new Promise<void>((resolve) => (notify = resolve));
  worker.on('message', (message: { ack?: true; batch?: RowBatch; done?: ParseSummary; error?: NonNullable<typeof failure> }) => {
    if (message.ack) {
      inFlight -= 1;
      if (inFlight < MAX_CHUNKS_IN_FLIGHT && source.isPaused()) source.resume();
    }
    if (message.batch) batches.push(message.batch);
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
    if (inFlight >= MAX_CHUNKS_IN_FLIGHT) source.pause();
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
      if (batch) {
        await insertBatch(prisma, index, roster, batch);
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
    await prisma.roster.delete({ where: { id: roster.id } });
    throw error;
  } finally {
    await worker.terminate();
  }
  const { rowCount, acceptedCount, rejectedCount, rejections } = summary as unknown as ParseSummary;

  const contentHash = hash.digest('hex');
  const existing = await prisma.roster.findUnique({
    where: { partnerId_kind_contentHash: { partnerId: request.partnerId, kind: request.kind, contentHash } },
  });
  if (existing) {
    // The same file again: keep the roster already ingested, drop this copy.
    await prisma.roster.delete({ where: { id: roster.id } });
    return { row: existing, created: false };
  }
  const finished = await prisma.$transaction(async (tx) =>
    tx.roster.update({
      where: { id: roster.id },
      data: { contentHash, status: 'READY', rowCount, acceptedCount, rejectedCount, rejectedRows: rejections as never, lastUpdated: await writeStamp(tx) },
    }),
  );
  clock.noteWrite('Roster', finished.lastUpdated!);
  return { row: finished, created: true };
}
