/**
 * Small helpers for the benchmarks: timing loops, percentiles, and a description of the machine so that
 * every recorded figure says where it was measured.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface Timing {
  n: number;
  p50: number;
  p95: number;
  mean: number;
}

/** Percentile of sorted millisecond samples (nearest rank). */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

export interface HttpRequestSpec {
  url: string;
  headers?: Record<string, string>;
  query: string;
  variables?: unknown;
}

function summarise(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/**
 * Times GraphQL requests from a worker thread (see http-client-worker.js); with several requests they are
 * interleaved (a, b, a, b …) so that they see the same machine state and their ratios are fair.
 */
export async function measureHttp(requests: HttpRequestSpec[], n: number, warmup = Math.min(50, n)): Promise<Timing[]> {
  const worker = new Worker(path.join(__dirname, 'http-client-worker.js'));
  try {
    const result = await new Promise<{ samples?: number[][]; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage({
        requests: requests.map((r) => ({
          url: r.url,
          headers: r.headers ?? {},
          body: JSON.stringify({ query: r.query, variables: r.variables }),
        })),
        n,
        warmup,
      });
    });
    if (result.error) throw new Error(result.error);
    return result.samples!.map(summarise);
  } finally {
    await worker.terminate();
  }
}
