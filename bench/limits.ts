/**
 * The cost of the gateway's operation limits (gateway/src/plugins/operation-limits.ts) on one operation.
 *
 * Prints: the time one limits check takes (graphql-armor's counting rules, the root-field count, the cost walk and
 * the token count) on a pull of 100 care requests with their patients, measured in this process over many
 * iterations; the same request's p50 through the gateway, measured in the same run from a worker thread; and their
 * ratio, the share of the request the limits add; and the rate limit's take on an in-memory bucket. Target (issue
 * 14): small. (The graph itself runs with RATE_LIMITS=off: the samples come from one token, faster than its limit.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { demoCareRequests } from '@care-graph/demo-data';
import { repoRoot } from '@care-graph/service-kit';
import { parse } from 'graphql';
import { checkOperationLimits, limitSettings, measureOperation } from '../gateway/src/plugins/operation-limits';
import { memoryBuckets } from '../gateway/src/rate-limits/token-bucket';
import { apiSchemaOf } from '../gateway/src/supergraph-source';
import { startInProcessGraph } from '../scripts/in-process-graph';
import { writeImportRecords } from '../subgraphs/care-requests/src';
import { BENCH_ENV, fmt, measureHttp, type Timing } from './lib';

const PULL = `query Pull($first: Int) {
  careRequests(first: $first) { edges { node { id status createdAt meta { lastUpdated } patient { id givenName familyName dateOfBirth } } } pageInfo { hasNextPage endCursor } transactionTime }
}`;

export interface LimitsResult {
  checkMicros: { all: number; measure: number; rateTake: number };
  request: Timing;
  figures: ReturnType<typeof measureOperation>;
}

/** Mean µs per awaited call of `fn` over `iterations`, after a warm-up of a tenth as many. */
async function microsPerAwait(fn: () => Promise<unknown>, iterations: number): Promise<number> {
  for (let i = 0; i < iterations / 10; i++) await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1e3 / iterations;
}

/** Mean µs per call of `fn` over `iterations`, after a warm-up of a tenth as many. */
function microsPerCall(fn: () => void, iterations: number): number {
  for (let i = 0; i < iterations / 10; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1e3 / iterations;
}

export async function runLimitsBenchmark(options: { samples: number; log: (line: string) => void }): Promise<LimitsResult> {
  const { samples, log } = options;
  process.env.LOG_LEVEL ??= 'warn';
  const graph = await startInProcessGraph({ env: BENCH_ENV });
  try {
    const schema = apiSchemaOf(readFileSync(path.join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8'));
    const settings = limitSettings({});
    const document = parse(PULL);
    const variables = { first: 100 };
    const figures = measureOperation(schema, document, 'Pull', variables, settings);
    log(`  the pull's figures: ${JSON.stringify(figures)}`);
    const all = microsPerCall(() => checkOperationLimits(settings, schema, document, 'Pull', variables, 'partner'), 20_000);
    const measure = microsPerCall(() => measureOperation(schema, document, 'Pull', variables, settings), 20_000);
    // The rate limit's take in embedded mode (a bucket in memory), over 1,000 identities' buckets.
    const buckets = memoryBuckets();
    let n = 0;
    const rateTake = await microsPerAwait(() => buckets.take(`graphql:partner:${n++ % 1000}`, { burst: 1e6, perSecond: 1e6 }), 100_000);

    await writeImportRecords(graph.subgraphs['care-requests'].database.client, demoCareRequests(new Date(), 1_000), { loadId: null });
    await graph.subgraphs['care-requests'].clock.refresh();
    const admin = await graph.as('admin');
    const [request] = await measureHttp(
      [{ url: graph.url, headers: { authorization: `Bearer ${admin.token}` }, query: PULL, variables }],
      samples,
    );
    return { checkMicros: { all, measure, rateTake }, request, figures };
  } finally {
    await graph.close();
  }
}

export function limitsReport(result: LimitsResult): string {
  const share = (result.checkMicros.all / 1000 / result.request.p50) * 100;
  return [
    '| measured | time |',
    '|---|---|',
    `| limits check (measure + decide), in process | ${result.checkMicros.all.toFixed(1)} µs |`,
    `| measuring the figures alone (a separate loop) | ${result.checkMicros.measure.toFixed(1)} µs |`,
    `| the rate limit's take (a bucket in memory, embedded mode) | ${result.checkMicros.rateTake.toFixed(2)} µs |`,
    `| the pull through the gateway, p50 / p95 (${result.request.n} samples) | ${fmt(result.request.p50)} / ${fmt(result.request.p95)} |`,
    `| **limits ÷ request (p50)** | **${share.toFixed(2)} %** |`,
  ].join('\n');
}
