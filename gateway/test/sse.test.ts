/**
 * Subscriptions (and a query) through the gateway over GraphQL over SSE, distinct connections mode, with
 * graphql-sse's own client and with a plain fetch that sends what the README's `curl` sends: a running
 * backfill's progress joined per event across subgraphs, state first and terminal last, then complete; a
 * finished backfill's one event; an unknown or another partner's backfill as an error event; refusals before
 * any stream opens with the HTTP path's status and body (no or a bad token, an invalid operation, single
 * connection mode, the connection limit shared with WebSockets); and a closed request ending the upstream
 * subscription (no upstream socket left after 200 subscribe/abort cycles).
 */
import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import { type Client, createClient, type NetworkError } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from '../../scripts/eventually';
import { DATABASE_KINDS, type Graph, startGraph } from '../../scripts/in-process-graph';
import type { BackfillRunner } from '../../subgraphs/partners/src/backfill-runner/runner';
import { webSocketUrl } from '../src/subscriptions/federated-subscriptions';
import {
  backfillStatus,
  type GraphQLCall,
  graphQLAs,
  PROGRESS,
  type ProgressEvent,
  partnerWithRoster,
  startBackfill,
  startRunner,
  subscribeAndLeave,
} from './subscription-fixtures';

const MEMBERS = 12;

/** graphql-sse's client in distinct connections mode (its default) with `token`, never retrying. */
function sseClient(graph: Graph, token: string | undefined, options: { singleConnection?: boolean } = {}): Client {
  return createClient({
    url: graph.url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    ...options,
  });
}

/** Every event of one subscription until it completes (or fails), within a deadline. */
function collect<T>(client: Client, query: string, variables: Record<string, unknown>, deadlineMs = 60_000) {
  const events: ExecutionResult<T>[] = [];
  let unsubscribe = () => {};
  const done = new Promise<ExecutionResult<T>[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no complete within ${deadlineMs} ms; events so far: ${JSON.stringify(events)}`)),
      deadlineMs,
    );
    unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (event) => events.push(event as ExecutionResult<T>),
        error: (error) => {
          clearTimeout(timer);
          reject(error);
        },
        complete: () => {
          clearTimeout(timer);
          resolve(events);
        },
      },
    );
  });
  return { events, done, unsubscribe: () => unsubscribe() };
}

/** The HTTP response a refused operation got, from graphql-sse's client's error. */
async function refusalOf(error: unknown): Promise<{ status: number; body: unknown }> {
  const response = (error as NetworkError<Response>).response;
  if (!response) throw error;
  return { status: response.status, body: await response.json() };
}

interface WireEvent {
  event: string;
  data: string;
}

/**
 * A plain fetch of one SSE operation read to its end, as `curl -N` prints it: the status, the content type,
 * the raw text, and its events (`event:` and `data:` lines; `:` keep-alive comments left out).
 */
async function rawStream(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) {
  const response = await fetch(url, init);
  const text = await response.text();
  const events: WireEvent[] = [];
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((line) => line && !line.startsWith(':'));
    if (!lines.length) continue;
    const field = (name: string) =>
      lines
        .find((line) => line.startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim() ?? '';
    events.push({ event: field('event'), data: field('data') });
  }
  return { status: response.status, contentType: response.headers.get('content-type'), text, events };
}

/** The README's curl: POST /graphql, `Accept: text/event-stream`, a JSON body, and `authorization` (the header's value). */
function curlInit(authorization: string | undefined, query: string, variables: Record<string, unknown> = {}) {
  return {
    method: 'POST',
    headers: {
      accept: 'text/event-stream',
      'content-type': 'application/json',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: JSON.stringify({ query, variables }),
  };
}

describe.each(DATABASE_KINDS)('subscriptions through the gateway over SSE (graphql-sse) on %s', (kind) => {
  let graph: Graph;
  let adminToken: string;
  let gql: GraphQLCall;
  let partnerId: string;
  let rosterId: string;
  /** The backfill the first test runs to the end. */
  let finishedId: string;
  let runner: BackfillRunner | undefined;

  beforeAll(async () => {
    graph = await startGraph(kind, { env: { BACKFILL_RUNNER: 'off' } });
    adminToken = await graph.token('admin');
    gql = graphQLAs(graph, adminToken);
    ({ partnerId, rosterId } = await partnerWithRoster(gql, {
      partnerName: 'Stream Plan',
      fileName: 'stream-plan.csv',
      members: MEMBERS,
      tag: 'sse',
    }));
  });
  afterAll(async () => {
    await runner?.stop();
    await graph?.close();
  });

  it("streams a running backfill to graphql-sse's client: the state first, joined per event, never going back, the terminal status last, then complete", async () => {
    finishedId = await startBackfill(gql, { partnerId, rosterId, batchSize: 3 });
    const subscription = collect<{ backfillProgress: ProgressEvent }>(sseClient(graph, adminToken), PROGRESS, { id: finishedId });
    const [first] = await eventually('the first event', async () => subscription.events.length > 0 && subscription.events);
    expect(first.data!.backfillProgress).toMatchObject({ processed: 0, backfill: { roster: { fileName: 'stream-plan.csv' } } });
    expect(['PENDING', 'INGESTING', 'RUNNING']).toContain(first.data!.backfillProgress.status);
    runner = startRunner(graph);
    const events = await subscription.done;
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const event of events) expect(event.errors).toBeUndefined();
    const progress = events.map((event) => event.data!.backfillProgress);
    for (const [i, event] of progress.entries()) {
      expect(event.backfill).toMatchObject({ id: finishedId, roster: { fileName: 'stream-plan.csv' }, partner: { name: 'Stream Plan' } });
      if (i > 0) expect(event.processed).toBeGreaterThanOrEqual(progress[i - 1].processed);
      if (i < progress.length - 1) expect(['PENDING', 'INGESTING', 'RUNNING']).toContain(event.status);
    }
    expect(progress.at(-1)).toMatchObject({ status: 'COMPLETED', processed: MEMBERS, total: MEMBERS, percent: 100 });
    expect(progress.at(-1)!.backfill.status).toBe('COMPLETED');
  });

  it("gives a finished backfill's one joined event, then complete: to graphql-sse's client, to the README's curl (POST) and to a GET", async () => {
    await eventually('the backfill is COMPLETED in pop-health', async () => (await backfillStatus(gql, finishedId)) === 'COMPLETED');
    const expected = {
      backfillProgress: {
        status: 'COMPLETED',
        processed: MEMBERS,
        backfill: { id: finishedId, status: 'COMPLETED', roster: { fileName: 'stream-plan.csv' }, partner: { name: 'Stream Plan' } },
      },
    };
    const viaClient = await collect(sseClient(graph, adminToken), PROGRESS, { id: finishedId }).done;
    expect(viaClient).toHaveLength(1);
    expect(viaClient[0].errors).toBeUndefined();
    expect(viaClient[0].data).toMatchObject(expected);

    const curl = await rawStream(graph.url, curlInit(`Bearer ${adminToken}`, PROGRESS, { id: finishedId }));
    expect(curl.status).toBe(200);
    expect(curl.contentType).toMatch(/^text\/event-stream/);
    expect(curl.events.map((event) => event.event)).toEqual(['next', 'complete']);
    expect(JSON.parse(curl.events[0].data)).toMatchObject({ data: expected });
    // On the wire: the result as one `data:` line, then a `complete` event with an empty `data:`.
    expect(curl.text).toMatch(/event: next\ndata: \{"data":\{"backfillProgress":\{.*\}\}\}\n\nevent: complete\ndata:\n\n$/);

    const search = new URLSearchParams({ query: PROGRESS, variables: JSON.stringify({ id: finishedId }) });
    const get = await rawStream(`${graph.url}?${search}`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${adminToken}` },
    });
    expect(get.events.map((event) => event.event)).toEqual(['next', 'complete']);
    expect(JSON.parse(get.events[0].data)).toMatchObject({ data: expected });
  });

  it('answers an unknown backfill with one error event naming it, then complete', async () => {
    const events = await collect(sseClient(graph, adminToken), PROGRESS, { id: 'no-such-backfill' }).done;
    expect(events).toEqual([
      { errors: [expect.objectContaining({ message: 'No backfill no-such-backfill.', extensions: { code: 'NOT_FOUND' } })] },
    ]);
  });

  it("follows a partner's own backfills only: another partner's is answered as unknown, as over graphql-ws", async () => {
    const own = await collect<{ backfillProgress: ProgressEvent }>(sseClient(graph, await graph.token('partner', partnerId)), PROGRESS, {
      id: finishedId,
    }).done;
    expect(own).toHaveLength(1);
    expect(own[0].data!.backfillProgress.backfill).toMatchObject({ id: finishedId, partner: { name: 'Stream Plan' } });
    const other = await collect(sseClient(graph, await graph.token('partner', 'another-partner')), PROGRESS, { id: finishedId }).done;
    expect(other).toEqual([
      { errors: [expect.objectContaining({ message: `No backfill ${finishedId}.`, extensions: { code: 'NOT_FOUND' } })] },
    ]);
  });

  it('answers a query over SSE as over HTTP: one event with its data, then complete', async () => {
    const query = 'query($id: ID!) { backfill(id: $id) { id status partner { name } } }';
    const overHttp = await graph.post({ url: graph.url, token: adminToken }, query, { id: finishedId });
    const events = await collect(sseClient(graph, adminToken), query, { id: finishedId }).done;
    expect(events).toEqual([overHttp.body]);
    expect(events[0].data).toEqual({ backfill: { id: finishedId, status: 'COMPLETED', partner: { name: 'Stream Plan' } } });
  });

  it.each([
    ['no token', undefined],
    ['a malformed Authorization header', 'Token abc'],
    ['a token that does not verify', 'Bearer not-a-jwt'],
  ])('refuses %s before any stream opens, with the status and body HTTP GraphQL answers', async (_what, authorization) => {
    const overHttp = await graph.post({ url: graph.url, headers: authorization ? { authorization } : {} }, PROGRESS, { id: finishedId });
    expect(overHttp.status).toBe(401);
    const curl = await rawStream(graph.url, curlInit(authorization, PROGRESS, { id: finishedId }));
    expect(curl.contentType).toMatch(/^application\/json/);
    expect({ status: curl.status, body: JSON.parse(curl.text) }).toEqual({ status: overHttp.status, body: overHttp.body });
    expect(overHttp.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    if (authorization === undefined) {
      const error = await collect(sseClient(graph, undefined), PROGRESS, { id: finishedId }).done.catch((e: unknown) => e);
      expect(await refusalOf(error)).toEqual({ status: overHttp.status, body: overHttp.body });
    }
  });

  it.each([
    ['does not validate', 'subscription { backfillProgress { nope } }', 'GRAPHQL_VALIDATION_FAILED'],
    ['does not parse', 'subscription { backfillProgress(', 'GRAPHQL_PARSE_FAILED'],
  ])('refuses an operation that %s with 400 and the errors HTTP GraphQL answers', async (_what, query, code) => {
    const overHttp = await graph.post({ url: graph.url, token: adminToken }, query);
    const error = await collect(sseClient(graph, adminToken), query, {}).done.catch((e: unknown) => e);
    const refusal = await refusalOf(error);
    expect(refusal).toEqual({ status: 400, body: overHttp.body });
    expect(overHttp.status).toBe(400);
    const errors = (refusal.body as ExecutionResult).errors!;
    expect(errors.length).toBeGreaterThan(0);
    for (const each of errors) expect(each.extensions?.code).toBe(code);
  });

  it('refuses single connection mode (a PUT reservation, an event stream token) and says to use distinct connections', async () => {
    const error = await collect(sseClient(graph, adminToken, { singleConnection: true }), PROGRESS, { id: finishedId }).done.catch(
      (e: unknown) => e,
    );
    // The client gives up on the reservation's answer (and drops its body): its status is what it saw.
    expect((error as NetworkError<Response>).response?.status).toBe(405);
    const reservation = await fetch(graph.url, { method: 'PUT', headers: { authorization: `Bearer ${adminToken}` } });
    const put = { status: reservation.status, body: await reservation.json() };
    expect(put).toEqual({
      status: 405,
      body: { errors: [{ message: expect.stringContaining('distinct connections mode only'), extensions: { code: 'BAD_REQUEST' } }] },
    });
    expect(reservation.headers.get('allow')).toBe('GET, POST');
    const init = curlInit(`Bearer ${adminToken}`, PROGRESS, { id: finishedId });
    const withToken = await rawStream(graph.url, { ...init, headers: { ...init.headers, 'x-graphql-event-stream-token': 'some-token' } });
    expect({ status: withToken.status, body: JSON.parse(withToken.text) }).toEqual({ status: 400, body: put.body });
  });
});

describe.each(DATABASE_KINDS)('SSE streams of a backfill that stays RUNNING (no runner) on %s', (kind) => {
  let graph: Graph;
  let token: string;
  let partnerId: string;
  let backfillId: string;
  afterAll(() => graph?.close());

  beforeAll(async () => {
    graph = await startGraph(kind, { env: { BACKFILL_RUNNER: 'off', CONNECTIONS_PER_IDENTITY: '3' } });
    token = await graph.token('admin');
    const gql = graphQLAs(graph, token);
    const roster = await partnerWithRoster(gql, { partnerName: 'Open Plan', fileName: 'open.csv', members: 1, tag: 'open' });
    partnerId = roster.partnerId;
    backfillId = await startBackfill(gql, roster);
    await eventually('the run is handed to partners', async () => (await backfillStatus(gql, backfillId)) === 'RUNNING');
  });

  it("ends the upstream subscription when the client goes: no socket left after 200 subscribe/abort cycles of graphql-sse's client", async () => {
    const client = sseClient(graph, token);
    try {
      // Each unsubscribe aborts the request: the gateway sees its response close.
      await subscribeAndLeave(client, backfillId, graph.subgraphs.partners.port, 200);
    } finally {
      client.dispose();
    }
  });

  it('counts SSE streams against CONNECTIONS_PER_IDENTITY together with WebSockets: one more is 429 TOO_MANY_REQUESTS, or a WebSocket closed 4429', async () => {
    // A partner token: its subject is this test's alone (the other test here uses the admin's).
    const partnerToken = await graph.token('partner', partnerId);
    const closes: number[] = [];
    const acknowledged: string[] = [];
    const ws = (label: string) =>
      createWsClient({
        url: webSocketUrl(graph.url),
        webSocketImpl: WebSocket,
        connectionParams: { token: partnerToken },
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => undefined,
        on: { connected: () => acknowledged.push(label), closed: (event) => closes.push((event as { code: number }).code) },
      });
    const first = ws('first');
    const streams = [0, 1].map(() =>
      collect<{ backfillProgress: ProgressEvent }>(sseClient(graph, partnerToken), PROGRESS, { id: backfillId }),
    );
    try {
      await eventually(
        'a WebSocket and two SSE streams are open',
        async () => acknowledged.includes('first') && streams.every((s) => s.events.length > 0),
      );
      // A third stream: refused before it opens, with a sentence naming the setting.
      const refused = await rawStream(graph.url, curlInit(`Bearer ${partnerToken}`, PROGRESS, { id: backfillId }));
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.text)).toEqual({
        errors: [{ message: expect.stringContaining('CONNECTIONS_PER_IDENTITY'), extensions: { code: 'TOO_MANY_REQUESTS' } }],
      });
      // And a second WebSocket: the streams count against it too.
      const second = ws('second');
      try {
        await eventually('the second WebSocket to be closed', async () => closes.includes(4429));
      } finally {
        await second.dispose();
      }
      // Once a stream ends (its request closed), the identity may open another.
      streams[0].unsubscribe();
      await eventually('a new SSE stream after one closed', async () => {
        let unsubscribe = () => {};
        const opened = await new Promise<boolean>((resolve) => {
          unsubscribe = sseClient(graph, partnerToken).subscribe(
            { query: PROGRESS, variables: { id: backfillId } },
            { next: () => resolve(true), error: () => resolve(false), complete: () => resolve(false) },
          );
        });
        unsubscribe();
        return opened;
      });
    } finally {
      for (const stream of streams) stream.unsubscribe();
      await first.dispose();
    }
  });
});
