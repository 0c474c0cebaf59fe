/**
 * `npm run import -- <file.ndjson> [--batch 500]`: streams care-request records through the gateway's
 * `importCareRequests` (see `import-file.ts`), with progress on stderr and a summary at the end.
 * Exit code: 0 all imported, 1 some lines rejected, 2 the import could not run (or wrong usage).
 */
import { stat } from 'node:fs/promises';
import { GraphQLRequestError } from '@care-graph/operations';
import { careGraphMode, dataDir, signDevToken } from '@care-graph/service-kit';
import { runCommand, UsageError } from './cli';
import { importFile } from './import-file';

const USAGE = `usage: npm run import -- <file.ndjson> [--batch 500]

Imports care requests, one JSON record a line, through the gateway's importCareRequests in batches
(--batch: 1 to 5000 records a call). Malformed lines are reported by line number; the valid lines are
imported. The whole file is one data load (listed in dataLoads).

Environment: CARE_GRAPH_URL (default http://localhost:4000/graphql), CARE_GRAPH_TOKEN (default: an admin
token signed with the embedded dev key; production mode has no dev key, so there it must be set).
Exit code: 0 all imported, 1 some lines rejected, 2 the import could not run.`;

/** An admin token signed with the embedded dev key; production mode refuses, naming CARE_GRAPH_TOKEN. */
async function devAdminToken(): Promise<string> {
  const { mode, reason } = careGraphMode();
  if (mode === 'production') {
    throw new Error(`CARE_GRAPH_TOKEN must be set in production mode (${reason}): there is no dev key to sign a token with.`);
  }
  return signDevToken(dataDir(), { subject: 'import-cli', role: 'admin' });
}

function parseArgs(args: string[]): { file: string; batchSize: number } {
  let file: string | undefined;
  let batchSize = 500;
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === '--batch') {
      batchSize = Number(args[(i += 1)]);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000)
        throw new UsageError('--batch must be an integer from 1 to 5000.');
    } else if (!file) file = args[i];
    else throw new UsageError(`Unexpected argument "${args[i]}".`);
  }
  if (!file) throw new UsageError('Name the file to import.');
  return { file, batchSize };
}

runCommand({
  usage: USAGE,
  failureExitCode: 2,
  describeError: (error) =>
    `import failed: ${
      error instanceof GraphQLRequestError
        ? `the gateway refused the import: ${error.message}`
        : (error as NodeJS.ErrnoException).cause
          ? `cannot reach the gateway (${(error as { cause: Error }).cause.message}); is it running (npm start)? Set CARE_GRAPH_URL otherwise.`
          : error.message
    }`,
  async run(args) {
    const { file, batchSize } = parseArgs(args);
    const size = (await stat(file).catch(() => null))?.size;
    if (size === undefined) throw new Error(`Cannot read ${file}: no such file.`);
    const url = process.env.CARE_GRAPH_URL ?? 'http://localhost:4000/graphql';
    const token = process.env.CARE_GRAPH_TOKEN ?? (await devAdminToken());
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
    console.log(
      `${file}: ${summary.lines} records read in ${seconds} s — ${summary.created} created, ${summary.updated} updated, ${summary.rejected.length} rejected.`,
    );
    const shown = summary.rejected.slice(0, 50);
    for (const r of shown) console.log(`  line ${r.line}${r.id ? ` (id ${r.id})` : ''}: ${r.reasons.join('; ')}`);
    if (summary.rejected.length > shown.length) console.log(`  … and ${summary.rejected.length - shown.length} more rejected lines.`);
    process.exitCode = summary.rejected.length ? 1 : 0;
  },
});
