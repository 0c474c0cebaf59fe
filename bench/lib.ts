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
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Runs `fn` `warmup` times untimed, then `n` times timed, one after another. */
export async function measure(n: number, fn: () => Promise<unknown>, warmup = Math.min(50, n)): Promise<Timing> {
  for (let i = 0; i < warmup; i += 1) await fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { n, p50: percentile(samples, 50), p95: percentile(samples, 95), mean: samples.reduce((a, b) => a + b, 0) / n };
}

/**
 * Interleaves two measurements (a, b, a, b …) so that both see the same machine state, and returns both;
 * ratios between them are what the targets are about.
 */
export async function measurePair(n: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[Timing, Timing]> {
  for (let i = 0; i < Math.min(50, n); i += 1) {
    await a();
    await b();
  }
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < n; i += 1) {
    for (const [fn, samples] of [[a, sa], [b, sb]] as const) {
      const start = process.hrtime.bigint();
      await fn();
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  const summary = (samples: number[]): Timing => {
    samples.sort((x, y) => x - y);
    return { n, p50: percentile(samples, 50), p95: percentile(samples, 95), mean: samples.reduce((x, y) => x + y, 0) / n };
  };
  return [summary(sa), summary(sb)];
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
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
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
        requests: requests.map((r) => ({ url: r.url, headers: r.headers ?? {}, body: JSON.stringify({ query: r.query, variables: r.variables }) })),
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


