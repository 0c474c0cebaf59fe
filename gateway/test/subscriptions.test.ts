/**
 * Subscriptions through the gateway over graphql-ws, with graphql-ws's own client (and Apollo Client's GraphQLWsLink): `backfillProgress` of a
 * running backfill, its events joined per event with fields other subgraphs own (the backfill's status and
 * roster from pop-health, its partner's name from partners again), the current state first, progress that
 * never goes back, the terminal status last and then complete; a finished backfill gives one event; an
 * unknown one an error naming it; connection_init without a token closes 4401, with a bad one 4403.
 */
import { ApolloClient, gql as document, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
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

const MEMBERS = 30;

/** Every event of one subscription until it completes (or fails to connect), within a deadline. */
function collect<T>(client: Client, query: string, variables: Record<string, unknown>, deadlineMs = 60_000) {
  const events: ExecutionResult<T>[] = [];
  const done = new Promise<ExecutionResult<T>[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no complete within ${deadlineMs} ms; events so far: ${JSON.stringify(events)}`)),
      deadlineMs,
    );
    client.subscribe<T>(
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
  return { events, done };
}

describe.each(DATABASE_KINDS)('subscriptions through the gateway (graphql-ws) on %s', (kind) => {
  let graph: Graph;
  let adminToken: string;
  let gql: GraphQLCall;
  const clients: Client[] = [];

  const wsClient = (connectionParams: Record<string, unknown>) => {
    const client = createClient({ url: webSocketUrl(graph.url), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
    clients.push(client);
    return client;
  };

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
      partnerName: 'Live Plan',
      fileName: 'live-plan.csv',
      members: MEMBERS,
      tag: 'live',
    }));
  });
  afterAll(async () => {
    await runner?.stop();
    await Promise.all(clients.map((client) => client.dispose()));
    await graph?.close();
  });

  it('streams a running backfill: the state first, joined per event across subgraphs, never going back, the terminal status last, then complete', async () => {
    const backfillId = await startBackfill(gql, { partnerId, rosterId, batchSize: 3 });
    finishedId = backfillId;
    const subscription = collect<{ backfillProgress: ProgressEvent }>(wsClient({ authorization: `Bearer ${adminToken}` }), PROGRESS, {
      id: backfillId,
    });
    // The current state comes first, while no runner has touched the backfill yet.
    const [first] = await eventually('the first event', async () => subscription.events.length > 0 && subscription.events);
    expect(first.data!.backfillProgress).toMatchObject({ processed: 0, backfill: { roster: { fileName: 'live-plan.csv' } } });
    expect(['PENDING', 'INGESTING', 'RUNNING']).toContain(first.data!.backfillProgress.status);
    runner = startRunner(graph);
    const events = await subscription.done;
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const event of events) expect(event.errors).toBeUndefined();
    const progress = events.map((event) => event.data!.backfillProgress);
    for (const [i, event] of progress.entries()) {
      // The joins: pop-health's fields of the backfill and partners' own again, through the gateway's planning.
      expect(event.backfill).toMatchObject({ id: backfillId, roster: { fileName: 'live-plan.csv' }, partner: { name: 'Live Plan' } });
      if (i > 0) expect(event.processed).toBeGreaterThanOrEqual(progress[i - 1].processed);
      if (i < progress.length - 1) expect(['PENDING', 'INGESTING', 'RUNNING']).toContain(event.status);
    }
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ status: 'COMPLETED', phase: 'NOTIFYING', processed: MEMBERS, total: MEMBERS, percent: 100 });
    expect(progress.slice(1, -1).every((event) => event.status === 'RUNNING' && event.phase === 'MATCHING')).toBe(true);
    expect(last.backfill.processed).toBe(MEMBERS);
    // The terminal event goes out once pop-health has recorded the outcome: its join agrees with it.
    expect(last.backfill.status).toBe('COMPLETED');

    // Subscribing once it has finished: one event, the final state, then complete.
    await eventually('the backfill is COMPLETED in pop-health', async () => (await backfillStatus(gql, backfillId)) === 'COMPLETED');
    const again = await collect<{ backfillProgress: ProgressEvent }>(wsClient({ token: adminToken }), PROGRESS, { id: backfillId }).done;
    expect(again).toHaveLength(1);
    expect(again[0].data!.backfillProgress).toMatchObject({
      status: 'COMPLETED',
      phase: expect.stringMatching(/^(NOTIFYING|DONE)$/),
      processed: MEMBERS,
      backfill: { status: 'COMPLETED', partner: { name: 'Live Plan' } },
    });
  });

  it("follows a partner's own backfills only: another partner's is answered as unknown", async () => {
    const backfillId = await startBackfill(gql, { partnerId, rosterId, startDate: '2026-03-03', endDate: '2026-03-03', dryRun: true });
    const own = await collect<{ backfillProgress: ProgressEvent }>(wsClient({ token: await graph.token('partner', partnerId) }), PROGRESS, {
      id: backfillId,
    });
    await eventually('the partner sees its backfill', async () => own.events.length > 0);
    expect(own.events[0].errors).toBeUndefined();
    expect(own.events[0].data!.backfillProgress.backfill).toMatchObject({ id: backfillId, partner: { name: 'Live Plan' } });
    const other = await collect(wsClient({ token: await graph.token('partner', 'another-partner') }), PROGRESS, { id: backfillId }).done;
    expect(other).toEqual([
      { errors: [expect.objectContaining({ message: `No backfill ${backfillId}.`, extensions: { code: 'NOT_FOUND' } })] },
    ]);
  });

  it("serves Apollo Client's GraphQLWsLink: a finished backfill's one event, joined across subgraphs, then complete", async () => {
    const apollo = new ApolloClient({
      link: new GraphQLWsLink(wsClient({ authorization: `Bearer ${adminToken}` })),
      cache: new InMemoryCache(),
    });
    try {
      const results = await new Promise<{ data?: unknown }[]>((resolve, reject) => {
        const received: { data?: unknown }[] = [];
        apollo.subscribe({ query: document(PROGRESS), variables: { id: finishedId } }).subscribe({
          next: (result) => received.push(result),
          error: reject,
          complete: () => resolve(received),
        });
      });
      expect(results).toHaveLength(1);
      expect(results[0].data).toMatchObject({
        backfillProgress: {
          status: 'COMPLETED',
          processed: MEMBERS,
          backfill: { id: finishedId, status: 'COMPLETED', partner: { name: 'Live Plan' } },
        },
      });
    } finally {
      apollo.stop();
    }
  });

  it('answers an unknown backfill with an error naming it, and ends that subscription', async () => {
    const events = await collect(wsClient({ authorization: `Bearer ${adminToken}` }), PROGRESS, { id: 'no-such-backfill' }).done;
    expect(events).toHaveLength(1);
    expect(events[0].errors?.[0]).toMatchObject({ message: 'No backfill no-such-backfill.', extensions: { code: 'NOT_FOUND' } });
  });

  it('refuses operations that do not validate against the API schema with the protocol error', async () => {
    const refusal = await collect(wsClient({ token: adminToken }), 'subscription { backfillProgress { nope } }', {}).done.catch(
      (errors) => errors,
    );
    expect(refusal).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: expect.stringContaining('argument "backfillId" of type "ID!" is required') }),
        expect.objectContaining({ message: 'Cannot query field "nope" on type "BackfillProgress".' }),
      ]),
    );
  });

  it.each([
    ['no token', {}, 4401],
    ['a token that does not verify', { authorization: 'Bearer not-a-token' }, 4403],
  ])('closes a connection with %s (%s)', async (_what, params, code) => {
    const closed = await collect(wsClient(params), PROGRESS, { id: 'any' }).done.then(
      () => null,
      (error: { code?: number }) => error,
    );
    expect(closed?.code).toBe(code);
  });
});

describe.each(DATABASE_KINDS)('a backfill that stays RUNNING (no runner), subscribed to on %s', (kind) => {
  let graph: Graph;
  let token: string;
  let backfillId: string;
  let partnerId: string;
  afterAll(() => graph?.close());

  beforeAll(async () => {
    // 1,000 connections in a few seconds from one admin token: over the default connect rate (10 a second).
    graph = await startGraph(kind, {
      env: {
        BACKFILL_RUNNER: 'off',
        RATE_LIMIT_CONNECT_ADMIN: '2000,1000',
        SUBSCRIPTIONS_PER_CONNECTION: '2',
        CONNECTIONS_PER_IDENTITY: '2',
      },
    });
    token = await graph.token('admin');
    const gql = graphQLAs(graph, token);
    const roster = await partnerWithRoster(gql, { partnerName: 'Gone Plan', fileName: 'gone.csv', members: 1, tag: 'gone' });
    partnerId = roster.partnerId;
    backfillId = await startBackfill(gql, roster);
    await eventually('the run is handed to partners', async () => (await backfillStatus(gql, backfillId)) === 'RUNNING');
  });

  it('closes the upstream subscription when the client unsubscribes: no socket left after 1,000 subscribe/unsubscribe cycles', async () => {
    const client = createClient({ url: webSocketUrl(graph.url), webSocketImpl: WebSocket, connectionParams: { token }, retryAttempts: 0 });
    try {
      // Each cycle opens one upstream socket to partners; once unsubscribed, each is closed again.
      await subscribeAndLeave(client, backfillId, graph.subgraphs.partners.port, 1000);
    } finally {
      await client.dispose();
    }
  });

  it('holds each connection to SUBSCRIPTIONS_PER_CONNECTION operations and each identity to CONNECTIONS_PER_IDENTITY sockets', async () => {
    // A partner token: its subject is this test's alone (the other tests here use the admin's).
    const partnerToken = await graph.token('partner', partnerId);
    const open = (label: string) =>
      createClient({
        url: webSocketUrl(graph.url),
        webSocketImpl: WebSocket,
        connectionParams: { token: partnerToken },
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => undefined,
        on: { closed: (event) => closes.push([label, (event as { code: number }).code]) },
      });
    const closes: [string, number][] = [];
    const first = open('first');
    const second = open('second');
    try {
      const variables = { id: backfillId };
      const a = collect<{ backfillProgress: ProgressEvent }>(first, PROGRESS, variables);
      const b = collect<{ backfillProgress: ProgressEvent }>(first, PROGRESS, variables);
      await eventually('two subscriptions on one connection', async () => a.events.length > 0 && b.events.length > 0);
      const third = await collect(first, PROGRESS, variables).done.catch((errors) => errors);
      expect(third).toEqual([
        expect.objectContaining({
          extensions: { code: 'TOO_MANY_REQUESTS' },
          message: expect.stringContaining('SUBSCRIPTIONS_PER_CONNECTION'),
        }),
      ]);
      // The second connection of the identity is served; a third is closed with 4429.
      const onSecond = collect<{ backfillProgress: ProgressEvent }>(second, PROGRESS, variables);
      await eventually('a subscription on the second connection', async () => onSecond.events.length > 0);
      const third3 = open('third');
      try {
        await eventually('the third connection to be closed', async () => closes.find(([label]) => label === 'third'));
        expect(closes.find(([label]) => label === 'third')).toEqual(['third', 4429]);
      } finally {
        await third3.dispose();
      }
      // Once a connection closes, the identity may open another (as soon as the gateway has seen the close).
      await second.dispose();
      let attempt = 0;
      await eventually('a subscription on a new connection after one closed', async () => {
        const client = open(`fourth-${(attempt += 1)}`);
        try {
          return await new Promise<boolean>((resolve) => {
            client.subscribe(
              { query: PROGRESS, variables },
              { next: () => resolve(true), error: () => resolve(false), complete: () => resolve(false) },
            );
          });
        } finally {
          await client.dispose();
        }
      });
    } finally {
      await first.dispose();
      await second.dispose();
    }
  });

  it('ends with an error event when the subgraph behind it goes away, never a silent hang', async () => {
    const client = createClient({ url: webSocketUrl(graph.url), webSocketImpl: WebSocket, connectionParams: { token }, retryAttempts: 0 });
    try {
      const subscription = collect<{ backfillProgress: ProgressEvent }>(client, PROGRESS, { id: backfillId });
      await eventually('the first event', async () => subscription.events.length > 0);
      expect(subscription.events[0].data!.backfillProgress.status).toBe('RUNNING');
      await graph.subgraphs.partners.close();
      const events = await subscription.done;
      expect(events.at(-1)).toEqual({
        errors: [
          expect.objectContaining({
            message: expect.stringContaining('The partners service closed the subscription'),
            extensions: { code: 'SERVICE_UNAVAILABLE' },
          }),
        ],
      });
    } finally {
      await client.dispose();
    }
  });
});
