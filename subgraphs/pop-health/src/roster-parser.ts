/**
 * Roster parsing in a worker thread: CSV parsing, row checks and blocking keys (~19 µs a row) run beside
 * the database inserts (~35 µs a row on PGlite) instead of before them, on the machine's second core.
 *
 * Protocol (messages from the ingesting thread): `{ chunk }` bytes of the file, `{ end: true }`. Answers:
 * `{ ack }` once a chunk is parsed, `{ batch: RowBatch }` every `BATCH` accepted rows, `{ done: Summary }`,
 * or `{ error: { kind: 'file' | 'csv' | 'other', message } }`.
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { parse } from 'csv-parse';
import { blockingKeys, normalize } from '@care-graph/matching';
import { formatCalendarDate } from '@care-graph/time';
import { MAX_REJECTIONS_KEPT, ROSTER_HEADER, RosterFileError, checkHeader, parseRow, type RowRejection } from './roster-file';

/** Accepted rows, as the column arrays the INSERT takes (id … postalCode, then the key list literal). */
export interface RowBatch {
  columns: (string | null)[][];
  keys: string[][];
  count: number;
}

export interface ParseSummary {
  rowCount: number;
  acceptedCount: number;
  rejectedCount: number;
  rejections: RowRejection[];
}

export const BATCH = 5000;

const arrayLiteral = (items: string[]) => `{${items.map((item) => `"${item.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

function emptyBatch(): RowBatch {
  return { columns: Array.from({ length: 13 }, () => []), keys: [], count: 0 };
}

async function run(port: NonNullable<typeof parentPort>) {
  const input = new PassThrough();
  port.on('message', (message: { chunk?: Uint8Array; end?: true }) => {
    if (message.chunk) input.write(Buffer.from(message.chunk), () => port.postMessage({ ack: true }));
    if (message.end) input.end();
  });
  const summary: ParseSummary = { rowCount: 0, acceptedCount: 0, rejectedCount: 0, rejections: [] };
  try {
    const seen = new Set<string>();
    let batch = emptyBatch();
    let header = true;
    const parser = input.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header) {
        checkHeader(record);
        header = false;
        continue;
      }
      summary.rowCount += 1;
      const result = parseRow(record, info.lines, seen);
      if ('rejection' in result) {
        summary.rejectedCount += 1;
        if (summary.rejections.length < MAX_REJECTIONS_KEPT) summary.rejections.push(result.rejection);
        continue;
      }
      summary.acceptedCount += 1;
      const row = result.row;
      const dob = formatCalendarDate(row.dateOfBirth);
      const id = randomUUID();
      const keys = blockingKeys(normalize({ id, ...row, dateOfBirth: dob }));
      const values = [id, row.memberId, row.givenName, row.middleName, row.familyName, dob, row.sex, row.ssn, row.addressLine1, row.city, row.state, row.postalCode, arrayLiteral(keys)];
      for (let i = 0; i < values.length; i += 1) batch.columns[i].push(values[i]);
      batch.keys.push(keys);
      batch.count += 1;
      if (batch.count >= BATCH) {
        port.postMessage({ batch });
        batch = emptyBatch();
      }
    }
    if (header) throw new RosterFileError(`The roster is empty; its first line must be the header "${ROSTER_HEADER.join(',')}".`);
    if (batch.count > 0) port.postMessage({ batch });
    port.postMessage({ done: summary });
  } catch (error) {
    const kind = error instanceof RosterFileError ? 'file' : (error as { code?: string }).code?.startsWith('CSV_') ? 'csv' : 'other';
    port.postMessage({ error: { kind, message: (error as Error).message } });
  }
}

if (parentPort) void run(parentPort);
