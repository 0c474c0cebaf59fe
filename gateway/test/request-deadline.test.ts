/**
 * Deadlines and cancellation (service-kit's request-deadline.ts): a query past REQUEST_TIMEOUT_MS answers
 * DEADLINE_EXCEEDED (504); a query whose client disconnects is cancelled at the subgraph — it logs the
 * cancellation and sends no further statement, and the gateway sends no further fetch; a mutation whose client
 * disconnects still completes. A subgraph is held busy by a test transaction that locks the table it reads
 * (on PGlite, whose one connection the transaction holds, every statement waits behind it).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { CreatePartnerDocument } from '@care-graph/operations';
import { DATABASE_KINDS, type Graph, startGraph } from '../../scripts/in-process-graph';

const TIMEOUT_MS = 1_500;

/** Waits until `check` gives a value, or fails after `ms`. */
async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A transaction on the partners database holding an exclusive lock on "Partner" until `release()`. */
async function holdPartners(graph: Graph): Promise<{ release(): void; done: Promise<unknown> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const done = graph.subgraphs.partners.database.client.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('LOCK TABLE "Partner" IN ACCESS EXCLUSIVE MODE');
      locked();
      await released;
    },
    { timeout: 30_000, maxWait: 10_000 },
  );
  await isLocked;
  return { release, done };
}

describe.each(DATABASE_KINDS)('request deadlines and cancellation (%s)', (kind) => {
  let graph: Graph;
  let logDir: string;
  let adminToken: string;
  let subgraphCalls: { url: string; requestId: string | null }[];
  const realFetch = global.fetch;

  beforeAll(async () => {
    logDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-deadline-logs-'));
    graph = await startGraph(kind, { env: { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), LOG_CAPTURE_DIR: logDir } });
    adminToken = await graph.token('admin');
    // Partners with associations (written directly: backfills write them in the product), so NESTED reaches
    // both subgraphs. Their care requests need not exist: the entity fetch happens all the same.
    for (const n of [1, 2, 3]) {
      const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name: `Deadline Partner ${n}` } });
      await graph.subgraphs.partners.database.client.partnerAssociation.createMany({
        data: [1, 2, 3].map((i) => ({ partnerId: createPartner.id, careRequestId: `cr-deadline-${n}-${i}`, source: 'BACKFILL' as const })),
      });
    }
    const subgraphUrls = Object.values(graph.subgraphs).map((s) => s.url);
    jest.spyOn(global, 'fetch').mockImplementation((input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (subgraphUrls.some((base) => url.startsWith(base))) {
        subgraphCalls.push({ url, requestId: new Headers(init?.headers).get('x-request-id') });
      }
      return realFetch(input, init);
    });
  });
  beforeEach(() => {
    subgraphCalls = [];
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await graph?.close();
    await rm(logDir, { recursive: true, force: true });
  });

  const post = (query: string, requestId: string) =>
    realFetch(graph.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query }),
    });

  /** Sends `query` on a socket of its own, then cuts it once `sent()` says the gateway is working on it. */
  const sendAndDisconnect = (query: string, requestId: string, sent: () => true | undefined) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ query });
      const req = http.request(new URL(graph.url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${adminToken}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-request-id': requestId,
        },
      });
      req.on('error', () => undefined); // the test cuts it
      req.on('response', () => reject(new Error('the gateway answered before the client left')));
      req.end(body);
      waitFor('the gateway to call the partners subgraph', sent).then(() => {
        req.destroy();
        resolve();
      }, reject);
    });

  const cancellations = async (requestId: string) => {
    const entries: Record<string, unknown>[] = [];
    for (const file of await readdir(logDir)) {
      for (const line of (await readFile(path.join(logDir, file), 'utf8')).split('\n')) {
        if (!line.includes(requestId)) continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.message === 'request cancelled') entries.push(entry);
      }
    }
    return entries;
  };

  // Partners, their associations and each association's care request: the partners subgraph first (a partners
  // page, then the associations' pages), then the care-requests subgraph for the care requests.
  const NESTED = `{ partners(first: 20) { edges { node { id name associations(first: 20) { edges { node { id careRequest { id status } } } } } } } }`;

  it('answers DEADLINE_EXCEEDED (504) for a query past REQUEST_TIMEOUT_MS, and the graph serves the next one', async () => {
    const hold = await holdPartners(graph);
    const started = performance.now();
    try {
      const response = await post(NESTED, `deadline-${randomUUID()}`);
      const elapsed = performance.now() - started;
      const body = (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
      expect(body.errors?.[0]?.extensions?.code).toBe('DEADLINE_EXCEEDED');
      expect(body.errors?.[0]?.message).toContain(`${TIMEOUT_MS} ms (REQUEST_TIMEOUT_MS)`);
      expect(response.status).toBe(504);
      expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    } finally {
      hold.release();
      await hold.done;
    }
    const after = await post('{ partners(first: 1) { transactionTime } }', `after-${randomUUID()}`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { errors?: unknown }).errors).toBeUndefined();
  });

  const calledPartners = (requestId: string) => () =>
    subgraphCalls.some((call) => call.requestId === requestId && call.url.startsWith(graph.subgraphs.partners.url)) || undefined;

  /**
   * The statements the partners database runs while `whileHeld` runs under the lock and after it (until
   * `afterRelease` and until none is running): the holder's own are counted alike in every measure.
   */
  const statementsUnderHold = async (whileHeld: () => Promise<void>, afterRelease: () => Promise<void> = async () => undefined) => {
    const { database } = graph.subgraphs.partners;
    const hold = await holdPartners(graph);
    const atStart = database.queryCount();
    try {
      await whileHeld();
    } finally {
      hold.release();
      await hold.done;
    }
    await afterRelease();
    const settled = await waitFor('the partners database to finish the statements sent', async () =>
      database.statementsRunning() === 0 ? database.queryCount() : undefined,
    );
    return settled - atStart;
  };

  it('cancels a query at the subgraph when its client disconnects: no statement and no fetch after it', async () => {
    // The same query, held up the same way and then run to its end.
    const fullId = `full-${randomUUID()}`;
    let answer: Promise<Response> | undefined;
    const fullStatements = await statementsUnderHold(
      async () => {
        answer = post(NESTED, fullId);
        await waitFor('the gateway to call the partners subgraph', calledPartners(fullId));
      },
      async () => {
        expect((await answer!).status).toBe(200);
      },
    );
    expect(new Set(subgraphCalls.filter((call) => call.requestId === fullId).map((call) => new URL(call.url).origin)).size).toBe(2);

    const requestId = `cut-${randomUUID()}`;
    const cutStatements = await statementsUnderHold(async () => {
      await sendAndDisconnect(NESTED, requestId, calledPartners(requestId));
      const [logged] = await waitFor('the partners subgraph to log the cancellation', async () => {
        const entries = (await cancellations(requestId)).filter((e) => e.service === 'partners');
        return entries.length ? entries : undefined;
      });
      expect(logged).toMatchObject({ reason: 'client-gone', cancellable: true });
    });
    // What was already waiting behind the lock ran; nothing after it did (the associations' pages), and
    // care-requests was never called.
    expect(cutStatements).toBeLessThan(fullStatements);
    expect(subgraphCalls.filter((call) => call.requestId === requestId).map((call) => new URL(call.url).origin)).toEqual([
      new URL(graph.subgraphs.partners.url).origin,
    ]);
  });

  it('completes a mutation whose client disconnected', async () => {
    const name = `Left Behind ${randomUUID().slice(0, 8)}`;
    const hold = await holdPartners(graph);
    const requestId = `mutation-${randomUUID()}`;
    try {
      await sendAndDisconnect(`mutation { createPartner(input: { name: "${name}" }) { id } }`, requestId, calledPartners(requestId));
    } finally {
      hold.release();
      await hold.done;
    }
    await waitFor('the partner to be created', async () => {
      const body = (await (await post('{ partners(first: 100) { edges { node { name } } } }', randomUUID())).json()) as {
        data: { partners: { edges: { node: { name: string } }[] } };
      };
      return body.data.partners.edges.some((edge) => edge.node.name === name) || undefined;
    });
  });
});
