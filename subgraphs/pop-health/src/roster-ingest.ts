/**
 * Ingests a roster from a stream: the file is parsed as it arrives, good rows are written in batches
 * (with their matching blocking keys), bad rows are counted and the first ones kept with their reasons.
 * Memory stays flat however long the file is. Re-ingesting the same file (same bytes) for the same partner
 * and kind returns the roster already there instead of a duplicate.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { blockingKeys, normalize } from '@care-graph/matching';
import { badUserInput, formatCalendarDate, writeStamp, type WatermarkClock } from '@care-graph/service-kit';
import type { PrismaClient } from './db';
import type { Roster as RosterRowDb } from './generated/prisma/client';
import { MAX_REJECTIONS_KEPT, ROSTER_HEADER, RosterFileError, checkHeader, parseRow, type RosterRow, type RowRejection } from './roster-file';

export type RosterKindName = 'CURRENT' | 'BACKFILL';

export interface IngestRequest {
  partnerId: string;
  kind: RosterKindName;
  fileName: string;
}

/** Rows per INSERT: 15 parameters a row stays under PostgreSQL's 65,535-parameter limit. */
const BATCH = 4000;

const arrayLiteral = (items: string[]) => `{${items.map((item) => `"${item.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

async function insertBatch(prisma: PrismaClient, rosterId: string, rows: RosterRow[]): Promise<void> {
  if (rows.length === 0) return;
  await prisma.$transaction(async (tx) => {
    const stamp = (await writeStamp(tx)).toISOString();
    const values: unknown[] = [];
    const tuples = rows.map((row) => {
      const keys = blockingKeys(
        normalize({ id: '', ...row, dateOfBirth: formatCalendarDate(row.dateOfBirth) }),
      );
      const start = values.length;
      values.push(
        randomUUID(), rosterId, row.memberId, row.givenName, row.middleName, row.familyName, formatCalendarDate(row.dateOfBirth),
        row.sex, row.ssn, row.addressLine1, row.city, row.state, row.postalCode, arrayLiteral(keys), stamp,
      );
      const p = (i: number) => `$${start + i}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}::date, ${p(8)}::"Sex", ${p(9)}, ${p(10)}, ${p(11)}, ${p(12)}, ${p(13)}, ${p(14)}::text[], ${p(15)}::timestamptz)`;
    });
    await tx.$executeRawUnsafe(
      `INSERT INTO "RosterPatient" ("id", "rosterId", "memberId", "givenName", "middleName", "familyName", "dateOfBirth", "sex", "ssn",
                                    "addressLine1", "city", "state", "postalCode", "blockingKeys", "lastUpdated")
       VALUES ${tuples.join(', ')}`,
      ...values,
    );
  });
}

/**
 * Reads `source` as a roster file and stores it. Throws BAD_USER_INPUT (and keeps nothing) when the file
 * is not a CSV roster; otherwise returns the roster, READY, with its counts and first rejections.
 */
export async function ingestRoster(prisma: PrismaClient, clock: WatermarkClock, request: IngestRequest, source: Readable): Promise<RosterRowDb> {
  const fileName = request.fileName.trim();
  if (!fileName || fileName.length > 255) throw badUserInput('fileName must be 1 to 255 characters.', { field: 'fileName' });
  const roster = await prisma.$transaction(async (tx) =>
    tx.roster.create({
      data: { partnerId: request.partnerId, kind: request.kind, fileName, contentHash: `pending:${randomUUID()}`, status: 'INGESTING', lastUpdated: await writeStamp(tx) },
    }),
  );
  const hash = createHash('sha256');
  source.on('data', (chunk: Buffer | string) => hash.update(chunk));
  let rowCount = 0;
  let acceptedCount = 0;
  const rejections: RowRejection[] = [];
  let rejectedCount = 0;
  try {
    const parser = source.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
    const seen = new Set<string>();
    let batch: RosterRow[] = [];
    let header = true;
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header) {
        checkHeader(record);
        header = false;
        continue;
      }
      rowCount += 1;
      const result = parseRow(record, info.lines, seen);
      if ('rejection' in result) {
        rejectedCount += 1;
        if (rejections.length < MAX_REJECTIONS_KEPT) rejections.push(result.rejection);
        continue;
      }
      acceptedCount += 1;
      batch.push(result.row);
      if (batch.length >= BATCH) {
        await insertBatch(prisma, roster.id, batch);
        batch = [];
      }
    }
    if (header) throw new RosterFileError(`The roster is empty; its first line must be the header "${ROSTER_HEADER.join(',')}".`);
    await insertBatch(prisma, roster.id, batch);
  } catch (error) {
    await prisma.roster.delete({ where: { id: roster.id } });
    if (error instanceof RosterFileError) throw badUserInput(error.message, { fileName });
    if ((error as { code?: string }).code?.startsWith('CSV_')) {
      throw badUserInput(`${fileName} is not a readable CSV file: ${(error as Error).message}`, { fileName });
    }
    throw error;
  }

  const contentHash = hash.digest('hex');
  const existing = await prisma.roster.findUnique({
    where: { partnerId_kind_contentHash: { partnerId: request.partnerId, kind: request.kind, contentHash } },
  });
  if (existing) {
    // The same file again: keep the roster already ingested, drop this copy.
    await prisma.roster.delete({ where: { id: roster.id } });
    return existing;
  }
  const finished = await prisma.$transaction(async (tx) =>
    tx.roster.update({
      where: { id: roster.id },
      data: { contentHash, status: 'READY', rowCount, acceptedCount, rejectedCount, rejectedRows: rejections as never, lastUpdated: await writeStamp(tx) },
    }),
  );
  clock.noteWrite('Roster', finished.lastUpdated!);
  clock.noteWrite('RosterPatient', finished.lastUpdated!);
  return finished;
}
