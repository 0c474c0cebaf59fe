/**
 * `npm run import -- <file.ndjson> [--batch 500]`: streams care-request records through the gateway's
 * `importCareRequests`, in batches, with progress on stderr and a summary at the end.
 *
 * Each line is checked here with the same rules the service applies, so a malformed line is reported
 * with its number and reason while the valid lines of the file are still imported. The file is read as
 * a stream, one batch in flight at a time, so memory stays flat however large it is. The whole file is one
 * data load: integrators see it in `dataLoads` when the last batch is in (FAILED if the import stopped).
 * Exit code: 0 all imported, 1 some lines rejected, 2 the import could not run.
 *
 * Environment: CARE_GRAPH_URL (default http://localhost:4000/graphql), CARE_GRAPH_TOKEN (default: an
 * admin token signed with the embedded dev key).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parseImportRecord, readNdjson } from '@care-graph/care-request-import';
import path from 'node:path';
import {
  FinishDataLoadDocument, GraphQLRequestError, ImportCareRequestsDocument, StartDataLoadDocument, request, type CareRequestImportInput,
} from '@care-graph/operations';
import { dataDir, signDevToken } from '@care-graph/service-kit';

interface Rejection {
  line: number;
  id?: string;
  reasons: string[];
}

interface Summary {
  /** The data load the file was recorded as (listed in `dataLoads` once finished). */
  loadId?: string;
  lines: number;
  created: number;
  updated: number;
  rejected: Rejection[];
}

function parseArgs(argv: string[]) {
  let file: string | undefined;
  let batchSize = 500;
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--batch') {
      batchSize = Number(argv[(i += 1)]);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) throw new Error('--batch must be an integer from 1 to 5000.');
    } else if (!file) file = argv[i];
    else throw new Error(`Unexpected argument "${argv[i]}".`);
  }
  if (!file) throw new Error('usage: npm run import -- <file.ndjson> [--batch 500]');
  return { file, batchSize };
}

export async function importFile(
  file: string,
  options: { url: string; token: string; batchSize: number; onProgress?: (summary: Summary) => void },
): Promise<Summary> {
  const client = { url: options.url, token: options.token };
  const { startDataLoad } = await request(client, StartDataLoadDocument, { input: { kind: 'CARE_REQUEST_IMPORT', source: path.basename(file) } });
  const summary: Summary = { loadId: startDataLoad.id, lines: 0, created: 0, updated: 0, rejected: [] };
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
  options: { batchSize: number; onProgress?: (summary: Summary) => void },
  summary: Summary,
): Promise<void> {
  let batch: { line: number; raw: CareRequestImportInput }[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const sent = batch;
    batch = [];
    let result;
    try {
      ({ importCareRequests: result } = await request(client, ImportCareRequestsDocument, {
        records: sent.map((entry) => entry.raw),
        loadId: summary.loadId,
      }));
    } catch (error) {
      // Batches are atomic: everything before this batch is committed, nothing of it is.
      (error as Error).message += ` (lines ${sent[0].line}–${sent[sent.length - 1].line} were not imported; ` +
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

async function main() {
  const { file, batchSize } = parseArgs(process.argv.slice(2));
  const size = (await stat(file).catch(() => null))?.size;
  if (size === undefined) throw new Error(`Cannot read ${file}: no such file.`);
  const url = process.env.CARE_GRAPH_URL ?? 'http://localhost:4000/graphql';
  const token = process.env.CARE_GRAPH_TOKEN ?? (await signDevToken(dataDir(), { subject: 'import-cli', role: 'admin' }));
  const started = Date.now();
  const summary = await importFile(file, {
    url,
    token,
    batchSize,
    onProgress: (s) => {
      const seconds = (Date.now() - started) / 1000;
      process.stderr.write(
        `\r${s.lines.toLocaleString('en-US')} lines · ${(s.created + s.updated).toLocaleString('en-US')} imported · ` +
          `${s.rejected.length.toLocaleString('en-US')} rejected · ${Math.round((s.created + s.updated) / Math.max(seconds, 0.001)).toLocaleString('en-US')} records/s`,
      );
    },
  });
  process.stderr.write('\n');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${file}: ${summary.lines} records read in ${seconds} s — ${summary.created} created, ${summary.updated} updated, ${summary.rejected.length} rejected.`);
  const shown = summary.rejected.slice(0, 50);
  for (const r of shown) console.log(`  line ${r.line}${r.id ? ` (id ${r.id})` : ''}: ${r.reasons.join('; ')}`);
  if (summary.rejected.length > shown.length) console.log(`  … and ${summary.rejected.length - shown.length} more rejected lines.`);
  process.exitCode = summary.rejected.length ? 1 : 0;
}

if (require.main === module || process.argv[1]?.endsWith('import-cli.ts')) {
  main().catch((error: Error) => {
    const message =
      error instanceof GraphQLRequestError
        ? `the gateway refused the import: ${error.message}`
        : (error as NodeJS.ErrnoException).cause
          ? `cannot reach the gateway (${(error as { cause: Error }).cause.message}); is it running (npm start)? Set CARE_GRAPH_URL otherwise.`
          : error.message;
    console.error(`import failed: ${message}`);
    process.exit(2);
  });
}
