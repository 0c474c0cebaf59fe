/**
 * Importing a care-request file: each line is checked here with the same rules the service applies, so a
 * malformed line is reported with its number and reason while the valid lines of the file are still
 * imported. The file is read as a stream, one batch in flight at a time, so memory stays flat however large
 * it is. The whole file is one data load: integrators see it in `dataLoads` when the last batch is in
 * (FAILED if the import stopped).
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parseImportRecord, readNdjson } from '@care-graph/care-request-import';
import {
  type CareRequestImportInput,
  FinishDataLoadDocument,
  ImportCareRequestsDocument,
  type ImportCareRequestsMutation,
  request,
  StartDataLoadDocument,
} from '@care-graph/operations';

interface Rejection {
  line: number;
  id?: string;
  reasons: string[];
}

export interface ImportSummary {
  /** The data load the file was recorded as (listed in `dataLoads` once finished). */
  loadId?: string;
  lines: number;
  created: number;
  updated: number;
  rejected: Rejection[];
}

/**
 * Imports the NDJSON file `file` through the gateway at `options.url` as one data load, in batches of
 * `options.batchSize`, one batch in flight. Malformed lines are rejected by number and the valid ones still
 * imported; `onProgress` runs after each batch. Throws when a batch fails (the batches before it stay
 * imported) and then marks the data load FAILED.
 */
export async function importFile(
  file: string,
  options: { url: string; token: string; batchSize: number; onProgress?: (summary: ImportSummary) => void },
): Promise<ImportSummary> {
  const client = { url: options.url, token: options.token };
  const { startDataLoad } = await request(client, StartDataLoadDocument, {
    input: { kind: 'CARE_REQUEST_IMPORT', source: path.basename(file) },
  });
  const summary: ImportSummary = { loadId: startDataLoad.id, lines: 0, created: 0, updated: 0, rejected: [] };
  try {
    await importLines(file, client, options, summary);
  } catch (error) {
    await request(client, FinishDataLoadDocument, { id: startDataLoad.id, status: 'FAILED' }).catch(() => undefined);
    throw error;
  }
  await request(client, FinishDataLoadDocument, { id: startDataLoad.id, status: 'COMPLETED' });
  summary.rejected.sort((a, b) => a.line - b.line);
  return summary;
}

async function importLines(
  file: string,
  client: { url: string; token: string },
  options: { batchSize: number; onProgress?: (summary: ImportSummary) => void },
  summary: ImportSummary,
): Promise<void> {
  let batch: { line: number; raw: CareRequestImportInput }[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const sent = batch;
    batch = [];
    let result: ImportCareRequestsMutation['importCareRequests'];
    try {
      ({ importCareRequests: result } = await request(client, ImportCareRequestsDocument, {
        records: sent.map((entry) => entry.raw),
        loadId: summary.loadId,
      }));
    } catch (error) {
      // Batches are atomic: everything before this batch is committed, nothing of it is.
      (error as Error).message +=
        ` (lines ${sent[0].line}–${sent[sent.length - 1].line} were not imported; ` +
        `${summary.created + summary.updated} records before them were)`;
      throw error;
    }
    summary.created += result.created;
    summary.updated += result.updated;
    for (const rejection of result.rejected) {
      summary.rejected.push({ line: sent[rejection.index].line, id: rejection.id ?? undefined, reasons: rejection.reasons });
    }
    options.onProgress?.(summary);
  };

  for await (const { line, value, error } of readNdjson(createReadStream(file))) {
    summary.lines += 1;
    if (error) {
      summary.rejected.push({ line, reasons: [error] });
      continue;
    }
    const parsed = parseImportRecord(value);
    if (!parsed.ok) {
      const id = typeof (value as { id?: unknown })?.id === 'string' ? (value as { id: string }).id : undefined;
      summary.rejected.push({ line, id, reasons: parsed.reasons });
      continue;
    }
    // Send the line as written: the service re-applies the same checks, and an absent `lastUpdated`
    // must stay absent (it means "stamp with the load time"), which re-serialising could blur.
    batch.push({ line, raw: value as CareRequestImportInput });
    if (batch.length >= options.batchSize) await flush();
  }
  await flush();
}
