/**
 * Since-filtered pulls over 1,000,000 care requests in the embedded database.
 *
 * Prints: the time to generate and load them; p50/p95 of
 * `careRequests(lastUpdated: { gt: <1 minute ago> }, first: 100)` at the subgraph and through the gateway;
 * and the empty pull (`gt: <the latest transactionTime>`) as a ratio to `{ __typename }`, both measured in
 * the same run, interleaved. Targets: since query p50 ≤ 5 ms at the subgraph; empty pull ≤ 1.2× `{ __typename }`.
 * The services run in this process (as `npm start` would run them, minus the process boundaries); the
 * client runs in a worker thread, like a separate program.
 */

import type { ImportRecord } from '@care-graph/care-request-import';
import { post } from '@care-graph/operations';
import { InternalAuth, internalSigner } from '@care-graph/service-kit';
import { startInProcessGraph } from '../scripts/in-process-graph';
import { writeImportRecords } from '../subgraphs/care-requests/src';
import { BENCH_ENV, fmt, measureHttp, type Timing } from './lib';

const SINCE = `query Since($since: PartialDateTime!) {
  careRequests(lastUpdated: { gt: $since }, first: 100) { edges { node { id status createdAt meta { lastUpdated } } } pageInfo { hasNextPage endCursor } transactionTime }
}`;
const TYPENAME = '{ __typename }';

export interface SinceResult {
  rows: number;
  loadSeconds: number;
  rowsPerSecond: number;
  subgraph: { since: Timing; empty: Timing; typename: Timing };
  gateway: { since: Timing; empty: Timing; typename: Timing };
}

export async function runSinceBenchmark(options: { rows: number; samples: number; log: (line: string) => void }): Promise<SinceResult> {
  const { rows, samples, log } = options;
  process.env.LOG_LEVEL ??= 'warn';
  const graph = await startInProcessGraph({ env: BENCH_ENV });
  try {
    const careRequests = graph.subgraphs['care-requests'];
    const prisma = careRequests.database.client;

    // Generate and load: one patient per 5 care requests, lastUpdated spread over the past year, and the
    // newest 1,000 written last, stamped by the server (what a `gt: 1 minute ago` pull finds).
    const now = Date.now();
    const yearMs = 365 * 24 * 3600 * 1000;
    const batch = 5000;
    const loadStart = process.hrtime.bigint();
    // Batches end where the 1,000 recent rows start, so that those are one server-stamped write.
    let batches = 0;
    for (let offset = 0, end = 0; offset < rows; offset = end) {
      const records: ImportRecord[] = [];
      end = offset < rows - 1000 ? Math.min(rows - 1000, offset + batch) : rows;
      for (let i = offset; i < end; i += 1) {
        const recent = i >= rows - 1000;
        const lastUpdated = recent ? undefined : new Date(now - yearMs + Math.floor((i / rows) * (yearMs - 3_600_000)));
        const p = Math.floor(i / 5);
        records.push({
          id: `cr-${String(i).padStart(7, '0')}`,
          createdAt: new Date((lastUpdated?.getTime() ?? now) - 3_600_000),
          status: 'COMPLETED',
          ...(lastUpdated ? { lastUpdated } : {}),
          patient: {
            id: `pt-${String(p).padStart(7, '0')}`,
            givenName: 'Ann',
            familyName: `Lee${p % 997}`,
            dateOfBirth: new Date(Date.UTC(1950, p % 12, 1 + (p % 28))),
            sex: p % 2 ? 'F' : 'M',
            ssn: null,
          },
        });
      }
      await writeImportRecords(prisma, records, { loadId: null, source: 'benchmark' });
      if (batches++ % 20 === 0) log(`  loaded ${(offset + records.length).toLocaleString('en-US')} / ${rows.toLocaleString('en-US')}`);
    }
    const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;
    await prisma.$executeRawUnsafe('ANALYZE');
    await careRequests.clock.refresh();
    log(`  loaded ${rows.toLocaleString('en-US')} care requests in ${loadSeconds.toFixed(1)} s`);

    const internal = await InternalAuth.fromEnv(graph.env, graph.dataDir);
    const subgraph = { url: careRequests.url, sign: internalSigner(internal, { subject: 'bench', role: 'service' }, 'care-requests') };
    const gateway = await graph.as('service');
    const since = new Date(Date.now() - 60_000).toISOString();
    const check = async (options: typeof gateway, query: string, variables?: unknown) => {
      const { body } = await post(options, query, variables);
      if (body.errors) throw new Error(`${query}: ${JSON.stringify(body.errors)}`);
      return body.data as { careRequests: { edges: unknown[]; transactionTime: string } };
    };
    const first = await check(subgraph, SINCE, { since });
    if (first.careRequests.edges.length !== 100) throw new Error(`expected a full page, got ${first.careRequests.edges.length}`);
    const latest = first.careRequests.transactionTime;
    const empty = await check(subgraph, SINCE, { since: latest });
    if (empty.careRequests.edges.length !== 0) throw new Error('the empty pull was not empty');

    const headersOf = (options: typeof gateway) => ({
      ...(options.headers ?? {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    });
    const run = async (options: typeof gateway) => {
      const at = { url: options.url, headers: headersOf(options) };
      const [sinceTiming] = await measureHttp([{ ...at, query: SINCE, variables: { since } }], samples);
      const [emptyTiming, typename] = await measureHttp(
        [
          { ...at, query: SINCE, variables: { since: latest } },
          { ...at, query: TYPENAME },
        ],
        samples,
      );
      return { since: sinceTiming, empty: emptyTiming, typename };
    };
    const atSubgraph = await run(subgraph);
    const atGateway = await run(gateway);
    return { rows, loadSeconds, rowsPerSecond: rows / loadSeconds, subgraph: atSubgraph, gateway: atGateway };
  } finally {
    await graph.close();
  }
}

export function sinceReport(r: SinceResult): string {
  const ratio = (a: Timing, b: Timing) => (a.p50 / b.p50).toFixed(2);
  return [
    `Since-filtered pulls, ${r.rows.toLocaleString('en-US')} care requests (embedded PGlite)`,
    `  generate + load: ${r.loadSeconds.toFixed(1)} s (${Math.round(r.rowsPerSecond).toLocaleString('en-US')} care requests/s)`,
    '',
    '| measured at | since query p50 / p95 | empty pull p50 / p95 | { __typename } p50 / p95 | empty ÷ __typename (p50) |',
    '|---|---|---|---|---|',
    ...(['subgraph', 'gateway'] as const).map((at) => {
      const m = r[at];
      return `| ${at} | ${fmt(m.since.p50)} / ${fmt(m.since.p95)} | ${fmt(m.empty.p50)} / ${fmt(m.empty.p95)} | ${fmt(m.typename.p50)} / ${fmt(m.typename.p95)} | ${ratio(m.empty, m.typename)}× |`;
    }),
    '',
    `Targets: since p50 ≤ 5 ms at the subgraph → ${r.subgraph.since.p50 <= 5 ? 'met' : 'NOT met'}; ` +
      `empty pull ≤ 1.2× { __typename } at the subgraph → ${r.subgraph.empty.p50 / r.subgraph.typename.p50 <= 1.2 ? 'met' : 'NOT met'}.`,
  ].join('\n');
}
