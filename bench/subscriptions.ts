/**
 * Subscriptions at scale (issue 12): the gateway and the three subgraphs as separate processes on embedded
 * PGlite (tools/test/graph-processes.ts), and N graphql-ws clients (default 1,000; `createClient` with `ws`,
 * one socket and one distinct token each) in a client process of their own (subscription-client.ts).
 *
 * Prints, in one run:
 * - memory per idle subscriber: the gateway's (and partners') VmRSS and V8 heap after a forced collection —
 *   before any client, with N bare authenticated connections, and with N idle `backfillProgress`
 *   subscriptions on those connections (a backfill whose run waits: partners' runner is off for this part);
 * - `backfillProgress` of a running backfill (100,000 care requests, a 100,000-member BACKFILL roster, the
 *   data of bench/backfill.ts): delay from the event's `at` (stamped when partners publishes it) to receipt,
 *   events/s delivered, events a client, the terminal event last — with 1 subscriber (the baseline), with N
 *   and a joined selection (`backfill { status roster { fileName } }`, pop-health's fields joined by the
 *   gateway per event and per subscriber), and with N and partners' fields only;
 * - `dataLoaded` (when the graph has it): delay from `finishedAt` to receipt over 20 small imports, 1 and N subscribers.
 * Targets: p99 ≤ 100 ms at 1,000 subscribers; ≤ 50 KB of gateway memory per idle subscriber.
 *
 * The heap is read through the inspector (`--inspect=127.0.0.1:0` on the gateway and partners, via
 * SERVICE_NODE_FLAGS): `HeapProfiler.collectGarbage`, then `Runtime.getHeapUsage`. No production code changes.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { cpSync, createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, signDevToken } from '@care-graph/service-kit';
import WebSocket from 'ws';
import { createProcessGraph, type ProcessGraph, type ServiceProcess } from '../tools/test/graph-processes';
import { partnerWithRoster, preparedCareRequests, syntheticData, type Window, windowOf } from './backfill';
import { BENCH_ENV, graphql, type HttpTarget, processCpuSeconds, rosterCsv, secondsSince } from './lib';
import type { ClientCommand, ClientEvents, ClientReply, SubscriptionSpec } from './subscription-client';

/** The backfill data (bench/backfill.ts's, cached): 100,000 care requests over 90 days. */
const CARE_REQUESTS = 100_000;
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const TARGET_P99_MS = 100;
const TARGET_KB_PER_SUBSCRIBER = 50;
/** Small imports for the dataLoaded part, and their size. */
const LOADS = 20;
const LOAD_RECORDS = 10;

export interface SubscriptionBenchOptions {
  clients: number;
  /** Days of the 90-day window the progress backfills with partners' fields only cover (90: ~100,000 care requests). */
  days: number;
  /** Days the backfills followed with the joined selection cover. */
  joinedDays: number;
  /**
   * `--cpu-prof` on the gateway, partners and pop-health (profiles under bench/.out/profiles/subscriptions/<service>).
   */
  profile: boolean;
  /** The gateway's heap snapshot at each memory step, in bench/.out/profiles/subscriptions (their making grows RSS: read the heap figures). */
  heapSnapshots: boolean;
  /** The memory part only. */
  memoryOnly: boolean;
  log: (line: string) => void;
}

const JOINED = `subscription($id: ID!) {
  backfillProgress(backfillId: $id) { backfillId status phase processed total percent etaSeconds at backfill { status roster { fileName } } }
}`;
const SUBGRAPH_ONLY = `subscription($id: ID!) {
  backfillProgress(backfillId: $id) { backfillId status phase processed total percent etaSeconds at }
}`;
const DATA_LOADED = 'subscription { dataLoaded { id kind finishedAt } }';
const START_BACKFILL = 'mutation Start($input: StartBackfillInput!) { startBackfill(input: $input) { id status } }';

/** A command without its id (the id is added when it is sent). */
type Command = ClientCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

/** The client process (subscription-client.ts): commands in, replies out, over IPC. */
class Clients {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (reply: ClientReply) => void; reject: (error: Error) => void }>();
  private constructor(readonly child: ChildProcess) {
    child.on('message', (reply: ClientReply) => {
      this.waiting.get(reply.id)?.resolve(reply);
      this.waiting.delete(reply.id);
    });
    child.once('exit', (code) => {
      for (const { reject } of this.waiting.values()) reject(new Error(`the client process exited (code ${code})`));
      this.waiting.clear();
    });
  }

  static start(): Clients {
    const child = fork(path.join(repoRoot, 'scripts', 'run-ts.js'), [path.join('bench', 'subscription-client.ts')], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '' },
      execArgv: [],
    });
    return new Clients(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async send<T = unknown>(command: Command): Promise<{ value: T; seconds: number }> {
    const id = this.next++;
    const reply = await new Promise<ClientReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...command, id });
    });
    if (!reply.ok) throw new Error(`client process, ${command.command}: ${reply.error}`);
    return { value: reply.value as T, seconds: reply.seconds };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.send({ command: 'close' }).catch(() => undefined);
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}

interface Memory {
  rssKiB: number;
  heapUsedKiB: number;
}

/** The service's inspector URL, from its latest life's output (`Debugger listening on ws://…`). */
function inspectorUrl(service: ServiceProcess): string {
  const urls = [...service.program.output().matchAll(/Debugger listening on (ws:\/\/\S+)/g)];
  if (!urls.length) throw new Error(`${service.name} has no inspector (started without --inspect?)`);
  return urls[urls.length - 1][1];
}

/**
 * Forces a full collection in the service (twice) and reads its V8 heap in use, then its VmRSS; with
 * `snapshotFile`, then writes a heap snapshot there (for `--profile` runs: what the subscriptions hold).
 */
async function memoryOf(service: ServiceProcess, snapshotFile?: string): Promise<Memory> {
  const socket = new WebSocket(inspectorUrl(service));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let id = 0;
  const call = (method: string) =>
    new Promise<Record<string, number>>((resolve) => {
      const mine = ++id;
      const onMessage = (data: WebSocket.RawData) => {
        const message = JSON.parse(String(data)) as { id?: number; result: Record<string, number> };
        if (message.id !== mine) return;
        socket.off('message', onMessage);
        resolve(message.result);
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id: mine, method }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const heap = await call('Runtime.getHeapUsage');
    const status = readFileSync(`/proc/${service.program.process.pid}/status`, 'utf8');
    const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
    if (snapshotFile) {
      const out = createWriteStream(snapshotFile);
      const onChunk = (data: WebSocket.RawData) => {
        const message = JSON.parse(String(data)) as { method?: string; params?: { chunk: string } };
        if (message.method === 'HeapProfiler.addHeapSnapshotChunk') out.write(message.params!.chunk);
      };
      socket.on('message', onChunk);
      await call('HeapProfiler.takeHeapSnapshot');
      socket.off('message', onChunk);
      await new Promise((resolve) => out.end(resolve));
    }
    return { rssKiB, heapUsedKiB: heap.usedSize / 1024 };
  } finally {
    socket.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits `settleMs`, then reads the memory of each service (and writes the gateway's heap snapshot as `<snapshots>/<label>.heapsnapshot`). */
async function settledMemory(services: ServiceProcess[], settleMs: number, snapshots?: { dir: string; label: string }): Promise<Memory[]> {
  await sleep(settleMs);
  const memory: Memory[] = [];
  for (const service of services) {
    const file = snapshots && service.name === 'gateway' ? path.join(snapshots.dir, `${snapshots.label}.heapsnapshot`) : undefined;
    memory.push(await memoryOf(service, file));
  }
  return memory;
}

interface MemoryResult {
  clients: number;
  /** gateway, partners: before any client, with N bare connections, with N idle subscriptions. */
  services: { name: string; base: Memory; connected: Memory; subscribed: Memory }[];
  connectSeconds: number;
  subscribeSeconds: number;
  /** Subscriptions that ended (an error) before their first event, and the first such error. */
  failed: { count: number; error: string | null };
}

interface Delivery {
  name: string;
  clients: number;
  /** Delays of the published events (not each subscription's first event, the state when it subscribed), sorted, ms. */
  delays: number[];
  /** The first events' delays (the state read when the subscription started → receipt), sorted, ms. */
  firstDelays: number[];
  events: number;
  perClient: { min: number; median: number; max: number };
  /** First published receipt → last receipt, s. */
  spanSeconds: number;
  terminalLast: number;
  completed: number;
  errors: string[];
  careRequests: number;
  backfillSeconds: number;
  cpuSeconds: { name: string; seconds: number }[];
  /** The run's start and end on the monotonic clock (µs, as CPU profiles' timestamps), to cut a profile to it. */
  monotonicMicros: [number, number];
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN;

function cpuTracker(processes: { name: string; pid: () => number }[]) {
  const start = processes.map((p) => processCpuSeconds(p.pid()));
  return () => processes.map((p, i) => ({ name: p.name, seconds: processCpuSeconds(p.pid()) - start[i] }));
}

async function tokensFor(graph: ProcessGraph, n: number, prefix: string): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < n; i += 1) {
    tokens.push(
      await signDevToken(graph.services.gateway.dataDir, { subject: `${prefix}-${i}`, role: 'admin' }, { env: graph.services.gateway.env }),
    );
  }
  return tokens;
}

/** Each service's logged errors (JSON log lines at level error), counted by message and detail. */
function serviceErrors(graph: ProcessGraph): SubscriptionBenchResult['serviceErrors'] {
  const found = new Map<string, { service: string; count: number; entry: string }>();
  for (const service of Object.values(graph.services)) {
    for (const line of service.output().split('\n')) {
      if (!line.includes('"level":"error"')) continue;
      let entry = line;
      try {
        const { message, detail, code } = JSON.parse(line) as Record<string, unknown>;
        entry = [message, code, detail].filter(Boolean).join(' · ');
      } catch {
        // not JSON: the line as it is
      }
      const key = `${service.name} ${entry.slice(0, 300)}`;
      const seen = found.get(key) ?? { service: service.name, count: 0, entry: entry.slice(0, 300) };
      seen.count += 1;
      found.set(key, seen);
    }
  }
  return [...found.values()].sort((a, b) => b.count - a.count);
}

const tokensNote = (n: number) => `${n} distinct admin tokens (one subject each; CONNECTIONS_PER_IDENTITY left at its default)`;

const wsUrl = (graph: ProcessGraph) => graph.services.gateway.url.replace(/^http/, 'ws');

async function waitForStatus(admin: HttpTarget, id: string, wanted: (status: string) => boolean, deadlineMs: number): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const { backfill } = await graphql<{ backfill: { status: string } }>(admin, 'query($id: ID!) { backfill(id: $id) { status } }', { id });
    if (wanted(backfill.status)) return backfill.status;
    if (Date.now() > deadline) throw new Error(`backfill ${id} still ${backfill.status} after ${deadlineMs / 1000} s`);
    await sleep(200);
  }
}

/** Memory per idle subscriber (see the file's comment); partners' runner is off, so the backfill's run waits. */
async function measureMemory(
  graph: ProcessGraph,
  admin: HttpTarget,
  clients: Clients,
  tokens: string[],
  backfillId: string,
  log: (line: string) => void,
  snapshotDir: string | null,
): Promise<MemoryResult> {
  const services = [graph.services.gateway, graph.services.partners];
  const spec: SubscriptionSpec = {
    query: SUBGRAPH_ONLY,
    variables: { id: backfillId },
    root: 'backfillProgress',
    timeField: 'at',
    labelField: 'status',
  };
  // Warm-up: the first connections and subscriptions load code and fill caches that N more do not grow.
  await clients.send({ command: 'connect', url: wsUrl(graph), tokens: tokens.slice(0, 20), concurrency: 20 });
  await clients.send({ command: 'subscribe', spec });
  await clients.send({ command: 'waitEvents', atLeast: 1, deadlineMs: 60_000 });
  await clients.send({ command: 'close' });
  const snapshot = (label: string) => (snapshotDir ? { dir: snapshotDir, label } : undefined);
  const base = await settledMemory(services, 3000, snapshot('gateway-base'));
  const connect = await clients.send({ command: 'connect', url: wsUrl(graph), tokens, concurrency: 50 });
  log(`  memory: ${tokens.length} connections acknowledged in ${connect.seconds.toFixed(1)} s`);
  const connected = await settledMemory(services, 3000, snapshot('gateway-connected'));
  const subscribeStart = process.hrtime.bigint();
  await clients.send({ command: 'subscribe', spec });
  const { value: ended } = await clients.send<{ ended: number; error: string | null }>({
    command: 'waitEvents',
    atLeast: 1,
    deadlineMs: 120_000,
  });
  const subscribeSeconds = secondsSince(subscribeStart);
  log(
    `  memory: ${tokens.length - ended.ended} subscriptions had their first event after ${subscribeSeconds.toFixed(1)} s` +
      (ended.ended ? `; ${ended.ended} ended without one: ${ended.error}` : ''),
  );
  const subscribed = await settledMemory(services, 3000, snapshot('gateway-subscribed'));
  await clients.send({ command: 'close' });
  await graphql(admin, 'mutation($id: ID!) { cancelBackfill(id: $id) { id } }', { id: backfillId });
  return {
    clients: tokens.length,
    services: services.map((s, i) => ({ name: s.name, base: base[i], connected: connected[i], subscribed: subscribed[i] })),
    connectSeconds: connect.seconds,
    subscribeSeconds,
    failed: { count: ended.ended, error: ended.error },
  };
}

/** One backfill followed by `tokens.length` subscribers from start to its terminal event. */
async function measureProgress(
  graph: ProcessGraph,
  admin: HttpTarget,
  clients: Clients,
  name: string,
  query: string,
  tokens: string[],
  target: { partnerId: string; rosterId: string },
  window: Window,
): Promise<Delivery> {
  await clients.send({ command: 'connect', url: wsUrl(graph), tokens, concurrency: 50 });
  const cpu = cpuTracker([
    ...Object.values(graph.services).map((s) => ({ name: s.name, pid: () => s.program.process.pid! })),
    { name: 'clients', pid: () => clients.pid },
  ]);
  const start = process.hrtime.bigint();
  const { startBackfill } = await graphql<{ startBackfill: { id: string } }>(admin, START_BACKFILL, {
    input: {
      partnerId: target.partnerId,
      rosterId: target.rosterId,
      startDate: window.startDate,
      endDate: window.endDate,
      batchSize: 2000,
    },
  });
  await clients.send({
    command: 'subscribe',
    spec: { query, variables: { id: startBackfill.id }, root: 'backfillProgress', timeField: 'at', labelField: 'status' },
  });
  await clients.send({ command: 'waitComplete', deadlineMs: 900_000 });
  const backfillSeconds = secondsSince(start);
  const cpuSeconds = cpu();
  const { value: results } = await clients.send<ClientEvents[]>({ command: 'results' });
  await clients.send({ command: 'close' });
  const { backfill } = await graphql<{ backfill: { status: string; total: number | null } }>(
    admin,
    'query($id: ID!) { backfill(id: $id) { status total } }',
    { id: startBackfill.id },
  );
  const monotonicMicros: [number, number] = [Number(start / 1000n), Number(start / 1000n) + Math.round(backfillSeconds * 1e6)];
  return summariseDelivery(name, results, { careRequests: backfill.total ?? 0, backfillSeconds, cpuSeconds, monotonicMicros });
}

function summariseDelivery(
  name: string,
  results: ClientEvents[],
  extra: Pick<Delivery, 'careRequests' | 'backfillSeconds' | 'cpuSeconds' | 'monotonicMicros'>,
  skipFirst = true,
): Delivery {
  const delays: number[] = [];
  const firstDelays: number[] = [];
  let firstReceipt = Infinity;
  let lastReceipt = -Infinity;
  const counts: number[] = [];
  const errors = new Set<string>();
  let terminalLast = 0;
  for (const r of results) {
    counts.push(r.delays.length);
    const from = skipFirst ? 1 : 0;
    if (skipFirst && r.delays.length) firstDelays.push(r.delays[0]);
    delays.push(...r.delays.slice(from));
    if (r.receivedAt.length > from) firstReceipt = Math.min(firstReceipt, r.receivedAt[from]);
    if (r.receivedAt.length) lastReceipt = Math.max(lastReceipt, r.receivedAt[r.receivedAt.length - 1]);
    const terminalAt = r.labels.findIndex((label) => TERMINAL.has(label));
    if (terminalAt >= 0 && terminalAt === r.labels.length - 1 && r.completed && !r.error) terminalLast += 1;
    if (r.error) errors.add(r.error);
  }
  delays.sort((a, b) => a - b);
  firstDelays.sort((a, b) => a - b);
  counts.sort((a, b) => a - b);
  return {
    name,
    clients: results.length,
    delays,
    firstDelays,
    events: counts.reduce((a, b) => a + b, 0),
    perClient: { min: counts[0] ?? 0, median: percentile(counts, 50), max: counts[counts.length - 1] ?? 0 },
    spanSeconds: Math.max(0, (lastReceipt - firstReceipt) / 1000),
    terminalLast,
    completed: results.filter((r) => r.completed).length,
    errors: [...errors].slice(0, 3),
    ...extra,
  };
}

/** dataLoaded: `n` subscribers, one import to see them all subscribed, then `LOADS` imports one after another. */
async function measureDataLoaded(graph: ProcessGraph, admin: HttpTarget, clients: Clients, name: string, tokens: string[], round: number) {
  await clients.send({ command: 'connect', url: wsUrl(graph), tokens, concurrency: 50 });
  await clients.send({
    command: 'subscribe',
    spec: { query: DATA_LOADED, variables: {}, root: 'dataLoaded', timeField: 'finishedAt', labelField: 'kind' },
  });
  let next = 0;
  const load = () =>
    graphql(admin, 'mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created } }', {
      r: Array.from({ length: LOAD_RECORDS }, () => {
        const i = next++;
        return {
          id: `cr-dl-${round}-${i}`,
          createdAt: '2026-06-01T12:00:00.000Z',
          status: 'COMPLETED',
          patient: { id: `pt-dl-${round}-${i}`, givenName: 'Dana', familyName: `Loaded${i}`, dateOfBirth: '1970-01-01', sex: 'F' },
        };
      }),
    });
  // The subscriptions are open once an event reaches every client (graphql-ws acknowledges no subscribe).
  const deadline = Date.now() + 120_000;
  for (;;) {
    await load();
    const ready = await clients.send({ command: 'waitEvents', atLeast: 1, deadlineMs: 2000 }).then(
      () => true,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error('dataLoaded: not every client received an event within 120 s');
  }
  await sleep(1000); // an earlier probe's event still on its way to some clients
  await clients.send({ command: 'results' });
  const cpu = cpuTracker([
    ...Object.values(graph.services).map((s) => ({ name: s.name, pid: () => s.program.process.pid! })),
    { name: 'clients', pid: () => clients.pid },
  ]);
  const start = process.hrtime.bigint();
  for (let i = 0; i < LOADS; i += 1) await load();
  await clients.send({ command: 'waitEvents', atLeast: LOADS, deadlineMs: 120_000 });
  const seconds = secondsSince(start);
  const cpuSeconds = cpu();
  const { value: results } = await clients.send<ClientEvents[]>({ command: 'results' });
  await clients.send({ command: 'close' });
  const monotonicMicros: [number, number] = [Number(start / 1000n), Number(start / 1000n) + Math.round(seconds * 1e6)];
  const delivery = summariseDelivery(name, results, { careRequests: 0, backfillSeconds: seconds, cpuSeconds, monotonicMicros }, false);
  // Every event was an import's, and the subscription is still open (dataLoaded never completes).
  delivery.terminalLast = results.filter((r) => r.labels.length === LOADS && r.labels.every((k) => k === 'CARE_REQUEST_IMPORT')).length;
  return delivery;
}

export interface SubscriptionBenchResult {
  /** The distinct error entries each service logged over the run (message and detail), with how often. */
  serviceErrors: { service: string; count: number; entry: string }[];
  clients: number;
  tokens: string;
  memory: MemoryResult;
  progress: Delivery[];
  dataLoaded: Delivery[] | null;
  profileDir: string | null;
  loadAverage: number[][];
}

/** Runs the whole benchmark (see the file's comment); the graph's processes are stopped at the end. */
export async function runSubscriptionBenchmark(options: SubscriptionBenchOptions): Promise<SubscriptionBenchResult> {
  const { clients: n, log } = options;
  const loadAverage: number[][] = [os.loadavg()];
  const { roster, patients } = syntheticData(CARE_REQUESTS);
  const cacheDir = await preparedCareRequests(CARE_REQUESTS, patients, log);
  const profileDir = options.profile ? path.join(repoRoot, 'bench', '.out', 'profiles', 'subscriptions') : null;
  const common = { NODE_ENV: 'production', CARE_GRAPH_MODE: 'embedded', LOG_LEVEL: 'warn', ...BENCH_ENV };
  const inspect = '--inspect=127.0.0.1:0';
  const profile = (name: string) => (profileDir ? ` --cpu-prof --cpu-prof-dir=${path.join(profileDir, name)}` : '');
  const graph = await createProcessGraph({
    env: {
      gateway: { ...common, SERVICE_NODE_FLAGS: `${inspect}${profile('gateway')}` },
      partners: { ...common, SERVICE_NODE_FLAGS: `${inspect}${profile('partners')}`, BACKFILL_RUNNER: 'off' },
      'care-requests': common,
      'pop-health': { ...common, SERVICE_NODE_FLAGS: profile('pop-health') },
    },
  });
  const clients = Clients.start();
  try {
    cpSync(path.join(cacheDir, 'care-requests'), path.join(graph.services['care-requests'].dataDir, 'care-requests'), { recursive: true });
    await graph.start();
    const { token } = await graph.as('admin');
    const admin: HttpTarget = { url: graph.services.gateway.url, headers: { authorization: `Bearer ${token}` } };
    const tokens = await tokensFor(graph, n, 'bench-subscriber');
    // The gateway's supergraph (introspection is off in production mode): does its Subscription type have dataLoaded?
    const supergraph = readFileSync(path.join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8');
    const hasDataLoaded = /\btype Subscription\b[^}]*\bdataLoaded\b/.test(supergraph);
    const file = rosterCsv(roster);

    // 1. Memory, on a backfill whose run waits (partners' runner off): no event after each subscription's first.
    log(`  memory: a backfill that waits, ${n} clients…`);
    const idle = await partnerWithRoster(admin, graph.services.gateway.url, 'Subscription Bench Idle', rosterCsv(roster.slice(0, 1000)));
    const day = windowOf(1);
    const { startBackfill } = await graphql<{ startBackfill: { id: string } }>(admin, START_BACKFILL, {
      input: { partnerId: idle.partnerId, rosterId: idle.rosterId, startDate: day.startDate, endDate: day.endDate },
    });
    await waitForStatus(admin, startBackfill.id, (status) => status === 'RUNNING', 120_000);
    const snapshotDir = options.heapSnapshots ? path.join(repoRoot, 'bench', '.out', 'profiles', 'subscriptions') : null;
    if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
    const memory = await measureMemory(graph, admin, clients, tokens, startBackfill.id, log, snapshotDir);
    if (options.memoryOnly)
      return {
        serviceErrors: serviceErrors(graph),
        clients: n,
        tokens: tokensNote(n),
        memory,
        progress: [],
        dataLoaded: null,
        profileDir,
        loadAverage,
      };

    // 2. Progress of running backfills: partners restarted with its runner on.
    await graph.services.partners.stop();
    graph.services.partners.env.BACKFILL_RUNNER = 'on';
    await graph.services.partners.start();
    // Partners' fields only over the whole window; the joined selection costs a join per event and subscriber
    // (a partners read and a pop-health fetch), so it runs on a shorter window.
    const window = windowOf(options.days);
    const joinedWindow = windowOf(options.joinedDays);
    const progress: Delivery[] = [];
    const variants: [string, string, string[], Window][] = [
      ["1 subscriber, partners' fields only (baseline)", SUBGRAPH_ONLY, tokens.slice(0, 1), window],
      [`${n} subscribers, partners' fields only`, SUBGRAPH_ONLY, tokens, window],
      ['1 subscriber, joined selection (baseline)', JOINED, tokens.slice(0, 1), joinedWindow],
      [`${n} subscribers, joined selection`, JOINED, tokens, joinedWindow],
    ];
    for (const [name, query, subscribers, days] of variants) {
      const target = await partnerWithRoster(admin, graph.services.gateway.url, `Subscription Bench ${progress.length + 1}`, file);
      log(`  progress: ${name}…`);
      loadAverage.push(os.loadavg());
      const delivery = await measureProgress(graph, admin, clients, name, query, subscribers, target, days);
      log(
        `    ${delivery.careRequests} care requests in ${delivery.backfillSeconds.toFixed(1)} s; p50 ${percentile(delivery.delays, 50)} ms, p99 ${percentile(delivery.delays, 99)} ms, ${delivery.events} events`,
      );
      progress.push(delivery);
    }

    // 3. dataLoaded, when the graph has it.
    let dataLoaded: Delivery[] | null = null;
    if (hasDataLoaded) {
      dataLoaded = [];
      for (const [i, [name, subscribers]] of (
        [
          ['1 subscriber (baseline)', tokens.slice(0, 1)],
          [`${n} subscribers`, tokens],
        ] as [string, string[]][]
      ).entries()) {
        log(`  dataLoaded: ${name}…`);
        dataLoaded.push(await measureDataLoaded(graph, admin, clients, name, subscribers, i));
      }
    } else {
      log('  dataLoaded: the graph has no Subscription.dataLoaded yet — skipped');
    }
    loadAverage.push(os.loadavg());
    return {
      serviceErrors: serviceErrors(graph),
      clients: n,
      tokens: tokensNote(n),
      memory,
      progress,
      dataLoaded,
      profileDir,
      loadAverage,
    };
  } catch (error) {
    // What the services said, for a run that failed (they log warnings and errors only).
    for (const service of Object.values(graph.services))
      log(`--- ${service.name} output (last 3,000 characters) ---\n${service.output().slice(-3000)}`);
    throw error;
  } finally {
    await clients.stop();
    await graph.close();
  }
}

const ms = (n: number) => `${Math.round(n)} ms`;

/** CPU ms of every process per event beyond the baseline run's: (CPU − baseline CPU) ÷ (events − baseline events). */
function extraCpuMs(run: Delivery, baseline: Delivery): string {
  const total = (d: Delivery) => d.cpuSeconds.reduce((sum, c) => sum + c.seconds, 0);
  const byProcess = run.cpuSeconds
    .map(
      (c) =>
        `${c.name} ${(((c.seconds - (baseline.cpuSeconds.find((b) => b.name === c.name)?.seconds ?? 0)) * 1000) / (run.events - baseline.events)).toFixed(2)}`,
    )
    .join(', ');
  return `${(((total(run) - total(baseline)) * 1000) / (run.events - baseline.events)).toFixed(2)} ms (${byProcess})`;
}
const kb = (kib: number) => `${kib.toFixed(1)} KB`;

export function subscriptionsReport(r: SubscriptionBenchResult): string {
  const lines = [
    `Subscriptions through the gateway: ${r.clients} graphql-ws clients (createClient + ws, one socket each) in a client process of their own;`,
    "  the gateway and three subgraphs as separate processes, embedded PGlite; clients and services share the machine's cores.",
    `  tokens: ${r.tokens}; load average (1 min) at start / before each progress run / end: ${r.loadAverage.map((l) => l[0].toFixed(1)).join(' / ')}`,
    '',
    `Memory (after a forced full collection; heap = V8 heap in use, via the inspector; RSS = VmRSS), ${r.memory.clients} clients:`,
    '',
    '| process | before any client | N bare connections | + N idle subscriptions | per connection | per subscription (its own) | per idle subscriber (both) |',
    '|---|---|---|---|---|---|---|',
  ];
  const n = r.memory.clients;
  for (const s of r.memory.services) {
    const cell = (m: Memory) => `heap ${(m.heapUsedKiB / 1024).toFixed(1)} MiB, RSS ${(m.rssKiB / 1024).toFixed(1)} MiB`;
    const per = (a: Memory, b: Memory) => `heap ${kb((b.heapUsedKiB - a.heapUsedKiB) / n)}, RSS ${kb((b.rssKiB - a.rssKiB) / n)}`;
    lines.push(
      `| ${s.name} | ${cell(s.base)} | ${cell(s.connected)} | ${cell(s.subscribed)} | ${per(s.base, s.connected)} | ${per(s.connected, s.subscribed)} | ${per(s.base, s.subscribed)} |`,
    );
  }
  const gw = r.memory.services[0];
  const perIdle = (gw.subscribed.rssKiB - gw.base.rssKiB) / n;
  const perIdleHeap = (gw.subscribed.heapUsedKiB - gw.base.heapUsedKiB) / n;
  if (!r.progress.length) {
    lines.push(
      `  (${n} connections acknowledged in ${r.memory.connectSeconds.toFixed(1)} s; ${n - r.memory.failed.count} subscriptions had their first event after ${r.memory.subscribeSeconds.toFixed(1)} s${r.memory.failed.count ? `; ${r.memory.failed.count} ended without one: ${r.memory.failed.error}` : ''})`,
      `Target ≤ ${TARGET_KB_PER_SUBSCRIBER} KB of gateway memory per idle subscriber: RSS ${kb(perIdle)}, heap ${kb(perIdleHeap)} (--memory-only: nothing else ran)`,
    );
    return lines.join('\n');
  }
  lines.push(
    `  (${n} connections acknowledged in ${r.memory.connectSeconds.toFixed(1)} s; ${n - r.memory.failed.count} subscriptions had their first event after ${r.memory.subscribeSeconds.toFixed(1)} s${r.memory.failed.count ? `; ${r.memory.failed.count} ended without one: ${r.memory.failed.error}` : ''})`,
    `Target ≤ ${TARGET_KB_PER_SUBSCRIBER} KB of gateway memory per idle subscriber: RSS ${kb(perIdle)}, heap ${kb(perIdleHeap)} → ${Math.max(perIdle, perIdleHeap) <= TARGET_KB_PER_SUBSCRIBER ? 'met' : 'NOT met'}`,
    '',
    `backfillProgress of a running backfill (delay = receipt − the event's \`at\`, published events only; the first event, the state when subscribing, apart):`,
    '',
    '| run | care requests, backfill seconds | delay p50 / p99 / max | first event p50 / p99 | events (per client min / median / max) | events/s delivered | terminal last | CPU s (gateway, partners, pop-health, care-requests, clients) |',
    '|---|---|---|---|---|---|---|---|',
  );
  const row = (d: Delivery) => {
    const cpu = ['gateway', 'partners', 'pop-health', 'care-requests', 'clients'].map(
      (name) => d.cpuSeconds.find((c) => c.name === name)?.seconds.toFixed(1) ?? '–',
    );
    return (
      `| ${d.name} | ${d.careRequests ? `${d.careRequests.toLocaleString('en-US')}, ` : ''}${d.backfillSeconds.toFixed(1)} s | ` +
      `${ms(percentile(d.delays, 50))} / ${ms(percentile(d.delays, 99))} / ${ms(d.delays[d.delays.length - 1] ?? NaN)} | ` +
      `${d.firstDelays.length ? `${ms(percentile(d.firstDelays, 50))} / ${ms(percentile(d.firstDelays, 99))}` : '–'} | ` +
      `${d.events.toLocaleString('en-US')} (${d.perClient.min} / ${d.perClient.median} / ${d.perClient.max}) | ` +
      `${d.spanSeconds > 0 ? Math.round(d.delays.length / d.spanSeconds).toLocaleString('en-US') : '–'} | ${d.terminalLast} of ${d.clients} | ${cpu.join(', ')} |` +
      (d.errors.length ? ` errors: ${d.errors.join('; ')}` : '')
    );
  };
  lines.push(...r.progress.map(row));
  const [plainBase, plain, joinedBase, joined] = r.progress;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
  const p = (d: Delivery, q: number) => percentile(d.delays, q);
  if (plainBase && plain && joinedBase && joined) {
    lines.push(
      `  ratios to 1 subscriber, same selection: partners' fields only p50 ${ratio(p(plain, 50), p(plainBase, 50))}, p99 ${ratio(p(plain, 99), p(plainBase, 99))}; ` +
        `joined p50 ${ratio(p(joined, 50), p(joinedBase, 50))}, p99 ${ratio(p(joined, 99), p(joinedBase, 99))}`,
      `  CPU a delivered event (all processes, less the 1-subscriber run's, ÷ the extra events): partners' fields only ${extraCpuMs(plain, plainBase)}, joined ${extraCpuMs(joined, joinedBase)}`,
      `Target p99 ≤ ${TARGET_P99_MS} ms at ${plain.clients} subscribers: partners' fields only ${ms(p(plain, 99))} → ${p(plain, 99) <= TARGET_P99_MS ? 'met' : 'NOT met'}; ` +
        `joined ${ms(p(joined, 99))} → ${p(joined, 99) <= TARGET_P99_MS ? 'met' : 'NOT met'}`,
    );
  }
  lines.push('');
  if (r.dataLoaded) {
    lines.push(
      `dataLoaded { id kind finishedAt } over ${LOADS} imports of ${LOAD_RECORDS} care requests, one after another (delay = receipt − finishedAt):`,
      '',
      '| run | seconds | delay p50 / p99 / max | first event | events (per client min / median / max) | events/s delivered | all 20 imports received | CPU s (gateway, partners, pop-health, care-requests, clients) |',
      '|---|---|---|---|---|---|---|---|',
      ...r.dataLoaded.map(row),
    );
    const [one, many] = r.dataLoaded;
    if (one && many)
      lines.push(
        `  ratio ${many.clients} ÷ 1: p50 ${(percentile(many.delays, 50) / percentile(one.delays, 50)).toFixed(1)}×, p99 ${(percentile(many.delays, 99) / percentile(one.delays, 99)).toFixed(1)}×; ` +
          `target p99 ≤ ${TARGET_P99_MS} ms → ${percentile(many.delays, 99) <= TARGET_P99_MS ? 'met' : 'NOT met'}`,
      );
  } else {
    lines.push('dataLoaded: skipped — the graph has no Subscription.dataLoaded on this build.');
  }
  lines.push(
    '',
    r.serviceErrors.length
      ? `Errors the services logged: ${r.serviceErrors
          .slice(0, 8)
          .map((e) => `${e.service} ×${e.count}: ${e.entry}`)
          .join('; ')}`
      : 'The services logged no error.',
  );
  if (r.profileDir)
    lines.push(
      '',
      `Each run's span on the monotonic clock (µs, as the profiles' timestamps): ${[...r.progress, ...(r.dataLoaded ?? [])].map((d) => `${d.name} ${d.monotonicMicros.join('–')}`).join('; ')}`,
    );
  if (r.profileDir)
    lines.push(
      '',
      `CPU profiles of the gateway, partners and pop-health in ${path.relative(repoRoot, r.profileDir)}/<service> (written as each stopped).`,
    );
  return lines.join('\n');
}
