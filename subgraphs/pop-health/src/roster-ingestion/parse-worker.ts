/**
 * Roster parsing in a worker thread: CSV parsing, row checks and the INSERT's column literals run beside
 * the database inserts instead of before them, on the machine's second core. The ingesting thread then
 * only hands each batch to the database. Blocking keys are computed here only for an index that keeps its
 * own copy of the members (Elasticsearch); the database index computes them when it loads a roster.
 *
 * Protocol (messages from the ingesting thread): `{ options: { members } }` first, then `{ chunk }` bytes
 * of the file and `{ end: true }`. Answers: `{ ack }` once a chunk is parsed, `{ batch: RowBatch }` every
 * `BATCH` accepted rows, `{ done: Summary }`, or `{ error: { kind: 'file' | 'csv' | 'other', message } }`.
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { parse } from 'csv-parse';
import { blockingKeys, normalize } from '@care-graph/matching';
import { formatCalendarDate } from '@care-graph/time';
import { MAX_REJECTIONS_KEPT, ROSTER_HEADER, RosterFileError, checkHeader, parseRow, type RowRejection } from './roster-file';

/** Roster member columns in INSERT order (see roster-ingest.ts). */
export const COLUMNS = ['id', 'memberId', 'givenName', 'middleName', 'familyName', 'dateOfBirth', 'sex', 'ssn', 'addressLine1', 'city', 'state', 'postalCode'] as const;

/** A member as a roster index that keeps its own copy (Elasticsearch) receives it, with its blocking keys. */
export type MemberRow = Record<(typeof COLUMNS)[number], string | null> & { keys: string[] };

/** Accepted rows: one PostgreSQL array literal per column, ready to be sent as text parameters. */
export interface RowBatch {
  literals: string[];
  count: number;
  /** The same rows as objects, only when the ingesting thread asked for members. */
  members?: MemberRow[];
}

export interface ParseSummary {
  rowCount: number;
  acceptedCount: number;
  rejectedCount: number;
  rejections: RowRejection[];
}

/** Rows per INSERT: small enough that the thread inserting returns to the upload often (see roster-ingest.ts). */
export const BATCH = 2000;

/** One element of a PostgreSQL array literal: NULL, or the value quoted with `"` and `\` escaped. */
const element = (value: string | null) => (value === null ? 'NULL' : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`);

class BatchBuilder {
  private readonly columns: string[][] = COLUMNS.map(() => []);
  readonly members: MemberRow[] | undefined;
  count = 0;

  constructor(withMembers: boolean) {
    this.members = withMembers ? [] : undefined;
  }

  add(values: (string | null)[], keys: () => string[]) {
    values.forEach((value, i) => this.columns[i].push(element(value)));
    this.members?.push({ ...(Object.fromEntries(values.map((value, i) => [COLUMNS[i], value])) as Omit<MemberRow, 'keys'>), keys: keys() });
    this.count += 1;
  }

  build(): RowBatch {
    return { literals: this.columns.map((column) => `{${column.join(',')}}`), count: this.count, members: this.members };
  }
}

async function run(port: NonNullable<typeof parentPort>) {
  const input = new PassThrough();
  let withMembers = false;
  port.on('message', (message: { options?: { members: boolean }; chunk?: Uint8Array; end?: true }) => {
    if (message.options) withMembers = message.options.members;
    if (message.chunk) input.write(Buffer.from(message.chunk), () => port.postMessage({ ack: true }));
    if (message.end) input.end();
  });
  const summary: ParseSummary = { rowCount: 0, acceptedCount: 0, rejectedCount: 0, rejections: [] };
  try {
    const seen = new Set<string>();
    let batch: BatchBuilder | undefined;
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
      const keys = () => blockingKeys(normalize({ id, ...row, dateOfBirth: dob }));
      batch ??= new BatchBuilder(withMembers);
      batch.add([id, row.memberId, row.givenName, row.middleName ?? null, row.familyName, dob, row.sex, row.ssn ?? null, row.addressLine1 ?? null, row.city ?? null, row.state ?? null, row.postalCode ?? null], keys);
      if (batch.count >= BATCH) {
        port.postMessage({ batch: batch.build() });
        batch = undefined;
      }
    }
    if (header) throw new RosterFileError(`The roster is empty; its first line must be the header "${ROSTER_HEADER.join(',')}".`);
    if (batch) port.postMessage({ batch: batch.build() });
    port.postMessage({ done: summary });
  } catch (error) {
    const kind = error instanceof RosterFileError ? 'file' : (error as { code?: string }).code?.startsWith('CSV_') ? 'csv' : 'other';
    port.postMessage({ error: { kind, message: (error as Error).message } });
  }
}

if (parentPort) void run(parentPort);
