/**
 * Small helpers for the benchmarks: timing loops, percentiles, and a description of the machine so that
 * every recorded figure says where it was measured.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PersonInput } from '@care-graph/matching';
import {
  envPrefix,
  type Identity,
  InternalAuth,
  internalSigner,
  type SignCall,
  SUBGRAPHS,
  type SubgraphName,
  signDevToken,
} from '@care-graph/service-kit';
import { freePort, startProgram, within } from '../tools/test/processes';

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

/**
 * Settings of every benchmark's graph: the throughput benchmarks load the graph from a few tokens far faster
 * than the rate limits let one identity (that is their purpose); `bench:limits` measures the limits' own cost.
 */
export const BENCH_ENV = { RATE_LIMITS: 'off' };

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

/** Seconds since `start` (a `process.hrtime.bigint()`). */
export const secondsSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** Where a benchmark client sends its requests: a URL and the headers that authenticate it. */
export interface HttpTarget {
  url: string;
  headers: Record<string, string>;
  /** Headers signed for each body (a subgraph takes an internal token once, for one body). */
  sign?: SignCall;
}

async function postBody(target: HttpTarget, body: string): Promise<string> {
  const signed = target.sign ? await target.sign(target.url, body) : {};
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers, ...signed },
    body,
  });
  const text = await response.text();
  if (!response.ok || text.includes('"errors"')) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/**
 * Sends the GraphQL bodies in order, `inflight` outstanding at a time, handing each answer to `onAnswer`;
 * returns the time and the CPU time this whole process spent meanwhile (every thread).
 */
export async function sendBatches(
  target: HttpTarget,
  bodies: string[],
  inflight: number,
  onAnswer: (text: string) => void = () => undefined,
): Promise<{ seconds: number; cpuSeconds: number }> {
  let next = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const lane = async () => {
    while (next < bodies.length) onAnswer(await postBody(target, bodies[next++]));
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  const cpu = process.cpuUsage(cpuStart);
  return { seconds: secondsSince(start), cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const csvCell = (value: string | null | undefined) => {
  const text = value ?? '';
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** A partner's roster file (the upload route's CSV columns) for synthetic roster members. */
export function rosterCsv(roster: readonly PersonInput[]): Buffer {
  const lines = ['member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip'];
  for (const p of roster) {
    lines.push(
      [p.id, p.givenName, p.middleName, p.familyName, p.dateOfBirth, p.sex, p.ssn, p.addressLine1, p.city, p.state, p.postalCode]
        .map(csvCell)
        .join(','),
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/**
 * Uploads a roster file to the gateway's `POST /rosters` (the target's URL carries partnerId, kind and
 * fileName), streamed in 64 KiB chunks as `curl -T` would; resolves once the roster is stored.
 */
export async function uploadRoster(target: HttpTarget, file: Buffer): Promise<{ id: string; acceptedCount: number; seconds: number }> {
  const start = process.hrtime.bigint();
  const stream = new ReadableStream({
    start(controller) {
      for (let i = 0; i < file.length; i += 65536) controller.enqueue(file.subarray(i, i + 65536));
      controller.close();
    },
  });
  const response = await fetch(target.url, { method: 'POST', headers: target.headers, body: stream, duplex: 'half' } as RequestInit);
  const text = await response.text();
  const seconds = secondsSince(start);
  if (response.status !== 201) throw new Error(`roster upload failed (HTTP ${response.status}): ${text.slice(0, 500)}`);
  const { roster } = JSON.parse(text) as { roster: { id: string; acceptedCount: number } };
  return { ...roster, seconds };
}

/** A process's resident memory now and its peak so far (VmRSS, VmHWM of /proc/<pid>/status), in MiB. */
function memoryOf(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return null; // the process has exited
  }
}

/**
 * CPU seconds (user + system, every thread) spent so far by the processes `pids` and this one: unlike
 * throughput it hardly moves when neighbours on the machine take the cores.
 */
export function cpuSecondsOf(pids: number[]): number {
  const own = process.cpuUsage();
  return pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0) + (own.user + own.system) / 1e6;
}

/** CPU seconds (user + system, every thread) process `pid` has spent so far; 0 once it has exited. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND; // utime, stime (fields 14 and 15 of stat)
  } catch {
    return 0;
  }
}

/** USER_HZ: /proc reports CPU time in 1/100 s on Linux (every architecture Node runs on). */
const CLOCK_TICKS_PER_SECOND = 100;

interface MemoryTrace {
  name: string;
  first: number;
  last: number;
  /** The largest VmRSS sampled while tracing. */
  maxSampled: number;
  /** VmHWM at the end: the process's peak over its whole life (setup included). */
  peak: number;
}

/**
 * Samples the resident memory of named processes every `intervalMs` until `stop`, which returns each
 * process's first and last sample, the largest sample and its lifetime peak (VmHWM).
 */
export function traceMemory(processes: { name: string; pid: number }[], intervalMs = 250): { stop(): MemoryTrace[] } {
  const traces = new Map<number, MemoryTrace>();
  const sample = () => {
    for (const { name, pid } of processes) {
      const memory = memoryOf(pid);
      if (!memory) continue;
      const trace = traces.get(pid);
      if (!trace) traces.set(pid, { name, first: memory.rss, last: memory.rss, maxSampled: memory.rss, peak: memory.peak });
      else Object.assign(trace, { last: memory.rss, maxSampled: Math.max(trace.maxSampled, memory.rss), peak: memory.peak });
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return [...traces.values()];
    },
  };
}

/** One line a process: first → last sample, the largest sample, and the lifetime peak, in MiB. */
export function memoryReport(traces: MemoryTrace[]): string[] {
  const mib = (n: number) => `${Math.round(n)} MiB`;
  return traces.map(
    (t) =>
      `    ${t.name.padEnd(14)} RSS ${mib(t.first)} → ${mib(t.last)} · largest sample ${mib(t.maxSampled)} · peak (VmHWM) ${mib(t.peak)}`,
  );
}

/** The graph as `npm start` runs it: the supervisor and its four service processes on one data folder. */
export interface GraphProcesses {
  gatewayUrl: string;
  /** Each subgraph's GraphQL URL, for calls with a service identity. */
  subgraphUrls: Record<SubgraphName, string>;
  /** The service processes (gateway and subgraphs), for memory tracing. */
  processes: { name: string; pid: number }[];
  /** A gateway target authenticated as `identity` (a dev token). */
  asUser(identity: Identity): Promise<HttpTarget>;
  /** A subgraph target with a signed internal service identity, as services call each other. */
  asService(name: SubgraphName): Promise<HttpTarget>;
  stop(): Promise<void>;
}

/** The processes whose parent is `pid`, with their command lines. */
function childrenOf(pid: number): { pid: number; cmdline: string }[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return parent === pid ? [{ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ') }] : [];
      } catch {
        return [];
      }
    });
}

/**
 * Starts `npm start`'s supervisor (tools/src/supervisor.ts) on `dataDir` with free ports, embedded mode and
 * no demo data, and waits for its ready banner. The supervisor is stopped with SIGINT, as a user stops it.
 */
export async function startGraphProcesses(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<GraphProcesses> {
  const ports: Record<string, number> = {};
  for (const name of ['gateway', ...SUBGRAPHS]) ports[name] = await freePort();
  const graphEnv: NodeJS.ProcessEnv = {
    ...process.env,
    CARE_GRAPH_MODE: 'embedded',
    SEED_DEMO_DATA: 'false',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    ...BENCH_ENV,
    ...env,
  };
  // The supervisor's services read the internal secret it writes under dataDir.
  delete graphEnv.INTERNAL_AUTH_SECRET;
  const supervisor = startProgram('tools/src/supervisor.ts', {
    ...graphEnv,
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [`${envPrefix(name)}_PORT`, String(port)])),
  });
  // However this process ends, the supervisor is told to stop its services (it outlives a crashed client otherwise).
  const stopOnExit = () => supervisor.process.exitCode === null && supervisor.process.kill('SIGINT');
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.off('exit', stopOnExit);
    if (supervisor.process.exitCode === null) supervisor.process.kill('SIGINT');
    await within('the graph to stop', 30_000, supervisor.exited);
  };
  let internal: InternalAuth;
  try {
    await within('the graph to start', 180_000, supervisor.printed('Care Graph is ready'));
    internal = await InternalAuth.fromEnv(graphEnv, dataDir);
  } catch (error) {
    await stop().catch(() => supervisor.process.kill('SIGKILL'));
    throw error;
  }
  const services = childrenOf(supervisor.process.pid!).map(({ pid, cmdline }) => ({
    pid,
    name: ['gateway', ...SUBGRAPHS].find((name) => cmdline.includes(`${name}/src/main.ts`)) ?? cmdline,
  }));
  return {
    gatewayUrl: `http://127.0.0.1:${ports.gateway}/graphql`,
    subgraphUrls: Object.fromEntries(SUBGRAPHS.map((name) => [name, `http://127.0.0.1:${ports[name]}/graphql`])) as Record<
      SubgraphName,
      string
    >,
    processes: services,
    asUser: async (identity) => ({
      url: `http://127.0.0.1:${ports.gateway}/graphql`,
      headers: { authorization: `Bearer ${await signDevToken(dataDir, identity, { env: graphEnv })}` },
    }),
    asService: async (name) => ({
      url: `http://127.0.0.1:${ports[name]}/graphql`,
      headers: {},
      sign: internalSigner(internal, { subject: 'bench', role: 'service' }, name),
    }),
    stop,
  };
}

/** Posts one GraphQL operation to `target`; throws with the errors when it has any. */
export async function graphql<T>(target: HttpTarget, query: string, variables?: unknown): Promise<T> {
  const text = await postBody(target, JSON.stringify({ query, variables }));
  return (JSON.parse(text) as { data: T }).data;
}
