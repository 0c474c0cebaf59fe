/**
 * Roster parsing in a worker thread: CSV parsing, row checks and the INSERT's column literals run beside
 * the database inserts instead of before them, on the machine's second core. The ingesting thread then
 * only hands each batch to the database. Blocking keys are computed here only for an index that keeps its
 * own copy of the roster patients (Elasticsearch); the database index computes them when it loads a roster.
 * The roster's term frequencies (how common each name, birth date, street and ZIP code is) are counted
 * here for every index, and come with the summary.
 *
 * Protocol (messages from the ingesting thread, see parse-thread.ts): `{ options: { rosterPatients } }`
 * first, then `{ chunk }` bytes of the file and `{ end: true }`. Answers: `{ ack }` once a chunk is parsed,
 * `{ batch: ParsedBatch }` every `BATCH` accepted rows, `{ done: ParseSummary }`, or
 * `{ error: { kind: 'file' | 'csv' | 'other', message } }`.
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { blockingKeys, normalize, type PersonInput, type TermFrequencies, TermFrequencyCounter } from '@care-graph/matching';
import { formatCalendarDate } from '@care-graph/time';
import { CsvError, parse } from 'csv-parse';
import { ROSTER_HEADER, ROSTER_PATIENT_FIELD_NAMES, type RosterPatientText } from '../roster-patient-fields';
import { checkHeader, MAX_REJECTIONS_KEPT, type ParsedRosterPatient, parseRow, RosterFileError, type RowRejection } from './roster-file';

/** A roster patient as an index that keeps its own copy (Elasticsearch) receives it, with its blocking keys. */
export type KeyedRosterPatient = RosterPatientText & { blockingKeys: string[] };

/** Accepted rows: one PostgreSQL array literal per field (ROSTER_PATIENT_FIELDS order), ready to be sent as text parameters. */
export interface ParsedBatch {
  literals: string[];
  count: number;
  /** The same rows as objects, only when the ingesting thread asked for roster patients. */
  rosterPatients?: KeyedRosterPatient[];
}

export interface ParseSummary {
  rowCount: number;
  acceptedCount: number;
  rejectedCount: number;
  rejections: RowRejection[];
  /** Of the accepted rows. */
  termFrequencies: TermFrequencies;
}

/** What the parse worker answers (see the protocol above). */
export interface ParseMessage {
  ack?: true;
  batch?: ParsedBatch;
  done?: ParseSummary;
  error?: { kind: 'file' | 'csv' | 'other'; message: string };
}

/** Rows per INSERT: small enough that the thread inserting returns to the upload often (see parse-thread.ts). */
export const BATCH = 2000;

/** One element of a PostgreSQL array literal: NULL, or the value quoted with `"` and `\` escaped. */
const element = (value: string | null) => (value === null ? 'NULL' : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`);

class BatchBuilder {
  private readonly columns: string[][] = ROSTER_PATIENT_FIELD_NAMES.map(() => []);
  readonly rosterPatients: KeyedRosterPatient[] | undefined;
  count = 0;

  constructor(withRosterPatients: boolean) {
    this.rosterPatients = withRosterPatients ? [] : undefined;
  }

  /**
   * Adds an accepted row with its new id and its date of birth as text. Values are read field by field
   * rather than from a copy of the row with those two replaced: copying every row cost more than the rest.
   */
  add(patient: ParsedRosterPatient, id: string, dateOfBirth: string, frequencies: TermFrequencyCounter) {
    for (let f = 0; f < ROSTER_PATIENT_FIELD_NAMES.length; f += 1) {
      const field = ROSTER_PATIENT_FIELD_NAMES[f];
      this.columns[f].push(element(field === 'id' ? id : field === 'dateOfBirth' ? dateOfBirth : patient[field]));
    }
    const text: RosterPatientText = { ...patient, id, dateOfBirth };
    const normalized = normalize(text as PersonInput);
    frequencies.add(normalized);
    if (this.rosterPatients) this.rosterPatients.push({ ...text, blockingKeys: blockingKeys(normalized) });
    this.count += 1;
  }

  build(): ParsedBatch {
    return { literals: this.columns.map((column) => `{${column.join(',')}}`), count: this.count, rosterPatients: this.rosterPatients };
  }
}

async function run(port: NonNullable<typeof parentPort>) {
  const input = new PassThrough();
  let withRosterPatients = false;
  port.on('message', (message: { options?: { rosterPatients: boolean }; chunk?: Uint8Array; end?: true }) => {
    if (message.options) withRosterPatients = message.options.rosterPatients;
    if (message.chunk) input.write(Buffer.from(message.chunk), () => port.postMessage({ ack: true }));
    if (message.end) input.end();
  });
  const summary: Omit<ParseSummary, 'termFrequencies'> = { rowCount: 0, acceptedCount: 0, rejectedCount: 0, rejections: [] };
  const frequencies = new TermFrequencyCounter();
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
      const { patient } = result;
      batch ??= new BatchBuilder(withRosterPatients);
      batch.add(patient, randomUUID(), formatCalendarDate(patient.dateOfBirth), frequencies);
      if (batch.count >= BATCH) {
        port.postMessage({ batch: batch.build() } satisfies ParseMessage);
        batch = undefined;
      }
    }
    if (header) throw new RosterFileError(`The roster is empty; its first line must be the header "${ROSTER_HEADER.join(',')}".`);
    if (batch) port.postMessage({ batch: batch.build() } satisfies ParseMessage);
    port.postMessage({ done: { ...summary, termFrequencies: frequencies.result() } } satisfies ParseMessage);
  } catch (error) {
    const kind = error instanceof RosterFileError ? 'file' : error instanceof CsvError ? 'csv' : 'other';
    const message = error instanceof CsvError ? csvFault(error) : (error as Error).message;
    port.postMessage({ error: { kind, message } } satisfies ParseMessage);
  }
}

/**
 * A sentence for a CSV fault: its line and what to fix. csv-parse's own message quotes the field's value,
 * which is a member's data (a name, an SSN): it is never passed on.
 */
function csvFault(error: CsvError): string {
  const line = typeof (error as { lines?: number }).lines === 'number' ? `line ${(error as { lines?: number }).lines}: ` : '';
  switch (error.code) {
    case 'INVALID_OPENING_QUOTE':
      return `${line}a field has a quote (") inside it; put the whole field in quotes and double the quote, e.g. "O""Brien".`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return `${line}a quoted field is never closed; check for a missing closing quote (").`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `${line}a quoted field has text right after its closing quote; double the quotes inside it ("").`;
    default:
      return `${line}the file is not valid CSV (${error.code}); save it as comma-separated UTF-8 text.`;
  }
}

if (parentPort) void run(parentPort);
