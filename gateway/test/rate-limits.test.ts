/**
 * Rate limits (rate-limits/) and body limits (admission.ts): token buckets in memory and in Redis (two stores on
 * one Redis act as two gateway instances), then through the gateway — per token subject and per address,
 * on /graphql, /rosters and graphql-ws connects — with 429, RATE_LIMITED and a Retry-After that is kept to.
 */
import { randomUUID } from 'node:crypto';
import { CreatePartnerDocument } from '@care-graph/operations';
import { createLogger, signDevToken } from '@care-graph/service-kit';
import WebSocket from 'ws';
import { type Graph, startGraph } from '../../scripts/in-process-graph';
import { memoryBuckets, redisBuckets } from '../src/rate-limits/token-bucket';

const logger = createLogger('rate-limits-test', { LOG_LEVEL: 'error' });

/** Polls `check` until it holds, or fails after `ms`. */
async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('token buckets in memory', () => {
  it('gives a full bucket at once, then one token per 1/rate seconds, with the wait as Retry-After', async () => {
    let now = 0;
    const store = memoryBuckets(() => now);
    const rate = { burst: 3, perSecond: 0.5 };
    for (let i = 0; i < 3; i += 1) expect(await store.take('a', rate)).toEqual({ allowed: true });
    expect(await store.take('a', rate)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(await store.take('b', rate)).toEqual({ allowed: true }); // another key, another bucket
    now += 1_000;
    expect(await store.take('a', rate)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1_000;
    expect(await store.take('a', rate)).toEqual({ allowed: true });
    expect(await store.take('a', rate)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    now += 60_000; // refilled to the burst, never beyond it
    for (let i = 0; i < 3; i += 1) expect(await store.take('a', rate)).toEqual({ allowed: true });
    expect((await store.take('a', rate)).allowed).toBe(false);
  });
});

// With TEST_REDIS_URL (CI's Redis run): the store every production gateway instance shares.
const redisUrl = process.env.TEST_REDIS_URL;
if (redisUrl)
  describe('token buckets in Redis', () => {
    it('shares one bucket between two gateway instances', async () => {
      const [first, second] = await Promise.all([redisBuckets(redisUrl!, logger), redisBuckets(redisUrl!, logger)]);
      try {
        const key = `test-${randomUUID()}`;
        const rate = { burst: 4, perSecond: 1 };
        const takes = [];
        for (let i = 0; i < 4; i += 1) takes.push(await (i % 2 ? first : second).take(key, rate));
        expect(takes).toEqual(Array(4).fill({ allowed: true }));
        expect(await first.take(key, rate)).toEqual({ allowed: false, retryAfterSeconds: 1 });
        expect(await second.take(key, rate)).toEqual({ allowed: false, retryAfterSeconds: 1 });
        await waitFor('a token to come back', async () => (await second.take(key, rate)).allowed, 3_000);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });

    it('refuses to start when Redis cannot be reached', async () => {
      await expect(redisBuckets('redis://127.0.0.1:1', logger)).rejects.toThrow(/Cannot connect to Redis for the rate limits/);
    });
  });

describe('rate and body limits at the gateway', () => {
  let graph: Graph;
  let partnerId: string;
  const partnerToken = (subject: string) => signDevToken(graph.dataDir, { subject, role: 'partner', partnerId }, { env: graph.env });

  beforeAll(async () => {
    graph = await startGraph('pglite', {
      env: {
        RATE_LIMIT_GRAPHQL_PARTNER: '3,2',
        RATE_LIMIT_GRAPHQL_ANONYMOUS: '2,0.1',
        RATE_LIMIT_ROSTERS_ADMIN: '2,0.1',
        RATE_LIMIT_CONNECT_PARTNER: '2,0.1',
        BODY_LIMIT_GRAPHQL_PARTNER: '64kb',
        BODY_LIMIT_ROSTERS: '64kb',
      },
    });
    ({
      createPartner: { id: partnerId },
    } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Rate Limited Plan' } }));
  });
  afterAll(() => graph?.close());

  const pull = (token?: string, body: unknown = { query: '{ partners(first: 1) { transactionTime } }' }) =>
    fetch(graph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it('holds a token subject to its burst, answers 429 RATE_LIMITED with Retry-After, and lets it in again after that wait', async () => {
    const token = await partnerToken(`burst-${randomUUID()}`);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await pull(token)).status);
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await pull(token);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe(1);
    const body = (await refused.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors).toEqual([
      {
        message: expect.stringContaining('RATE_LIMIT_GRAPHQL_PARTNER'),
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1 },
      },
    ]);
    expect(body.errors[0].message).toContain('Retry after 1 s');
    // Another subject of the same partner, and an admin, have buckets of their own.
    expect((await pull(await partnerToken(`other-${randomUUID()}`))).status).toBe(200);
    expect((await pull(await graph.token('admin'))).status).toBe(200);
    const refusedAt = Date.now();
    await waitFor('the bucket to let the token in again', async () => (await pull(token)).status === 200, 5_000);
    expect(Date.now() - refusedAt).toBeLessThan(retryAfter * 1000 + 1_000);
  });

  it('limits requests without a valid token by address: 401 within the burst, 429 after it', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await pull(i === 1 ? 'not-a-token' : undefined)).status);
    expect(statuses).toEqual([401, 401, 429]);
    // A valid token is not held to the address's bucket.
    expect((await pull(await partnerToken(`valid-${randomUUID()}`))).status).toBe(200);
  });

  it('limits roster uploads per token subject', async () => {
    const token = await graph.token('admin');
    const upload = () =>
      fetch(new URL(`/rosters?partnerId=${partnerId}&kind=CURRENT&fileName=rate-${randomUUID()}.csv`, graph.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip\n',
      });
    expect((await upload()).status).toBe(201);
    expect((await upload()).status).toBe(201);
    const refused = await upload();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toEqual({
      error: { code: 'RATE_LIMITED', message: expect.stringContaining('RATE_LIMIT_ROSTERS_ADMIN'), retryAfterSeconds: expect.any(Number) },
    });
  });

  it('limits graphql-ws connects per token subject: close 4429 with the seconds to wait', async () => {
    const token = await partnerToken(`ws-${randomUUID()}`);
    const connect = () =>
      new Promise<{ acknowledged: boolean; code?: number; reason?: string }>((resolve) => {
        const socket = new WebSocket(graph.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
        socket.on('message', (data) => {
          if (JSON.parse(String(data)).type === 'connection_ack') {
            socket.close();
            resolve({ acknowledged: true });
          }
        });
        socket.on('close', (code, reason) => resolve({ acknowledged: false, code, reason: String(reason) }));
      });
    expect(await connect()).toEqual({ acknowledged: true });
    expect(await connect()).toEqual({ acknowledged: true });
    expect(await connect()).toEqual({
      acknowledged: false,
      code: 4429,
      reason: expect.stringMatching(/^Rate limited: retry after \d+ s$/),
    });
  });

  it("reads a partner's body only up to BODY_LIMIT_GRAPHQL_PARTNER, an admin's up to BODY_LIMIT_GRAPHQL", async () => {
    const padded = { query: '{ partners(first: 1) { transactionTime } }', variables: { pad: 'x'.repeat(100 * 1024) } };
    const partner = await pull(await partnerToken(`body-${randomUUID()}`), padded);
    expect(partner.status).toBe(413);
    expect(((await partner.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await pull(await graph.token('admin'), padded)).status).toBe(200);
  });

  it('refuses a roster file over BODY_LIMIT_ROSTERS, declared or streamed, and keeps nothing of it', async () => {
    const token = await graph.token('service');
    const header = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip\n';
    const row = (i: number) => `M${i},Ann,,Lee,1950-06-05,F,,1 Main St,Denver,CO,80201\n`;
    const file = header + Array.from({ length: 2_000 }, (_, i) => row(i)).join(''); // ~100 KB
    const fileName = `too-big-${randomUUID()}.csv`;
    const url = new URL(`/rosters?partnerId=${partnerId}&kind=CURRENT&fileName=${fileName}`, graph.url);
    const declared = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: file,
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('BODY_LIMIT_ROSTERS') } });
    // Chunked, without a length: the first 40 KB go through, and once pop-health is ingesting them, the rest
    // passes the limit and the gateway cuts the upload.
    const rosters = graph.subgraphs['pop-health'].database.client.roster;
    const bytes = new TextEncoder().encode(file);
    const ingesting = () => rosters.count({ where: { fileName, status: 'INGESTING' } });
    let sentFirst = false;
    const chunks = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!sentFirst) {
          sentFirst = true;
          controller.enqueue(bytes.slice(0, 40 * 1024));
          return;
        }
        await waitFor('pop-health to be ingesting the first part', async () => (await ingesting()) === 1);
        controller.enqueue(bytes.slice(40 * 1024));
        controller.close();
      },
    });
    const streamed = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    // pop-health saw the upload begin, then end short: its data load ends FAILED, and no roster is kept.
    const loads = graph.subgraphs['care-requests'].database.client.dataLoad;
    await waitFor('the cut upload to end FAILED', async () => (await loads.count({ where: { source: fileName, status: 'FAILED' } })) === 1);
    await waitFor('the roster being ingested to be discarded', async () => (await ingesting()) === 0);
    expect(await rosters.count({ where: { fileName } })).toBe(0);
  });
});
