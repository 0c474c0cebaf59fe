/**
 * Subscriptions when things around them change (issue 12, point 7), against the running graph, with a backfill
 * handed off to partners whose runner is off (RUNNING at 0), its events published here on partners' own event
 * bus as its runner would (faster than a runner's 4 a second):
 *
 * - a slow subscriber: the gateway holds at most SUBSCRIPTION_BUFFER events for a client that does not read; one
 *   more ends that client's subscription with a SLOW_SUBSCRIBER error (its waiting events dropped, its upstream
 *   subscription closed), while a client that reads gets every event, in order. The gateway's subscriptions are
 *   driven as graphql-ws's server drives them (the next event is asked for once the socket has taken the last);
 * - a supergraph change: a gateway following its supergraph file serves the new one to new subscriptions and
 *   carries the live ones; a file that is not a supergraph is refused and the last good one goes on.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger, type Identity, InternalAuth, internalHeaders, type Logger, repoRoot, requestTarget } from '@care-graph/service-kit';
import type { FormattedExecutionResult } from 'graphql';
import { parse } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from '../../scripts/eventually';
import { type Graph, startGraph } from '../../scripts/in-process-graph';
import { dataLoadedSubscriptions } from '../../subgraphs/care-requests/src/data-load-events';
import { progressTopic } from '../../subgraphs/partners/src/backfill-runner/progress-events';
import { type RunningGateway, startGateway } from '../src/gateway';
import { SignedIdentityDataSource } from '../src/subgraph-client';
import { type FederatedSubscriptions, federatedSubscriptions, webSocketUrl } from '../src/subscriptions/federated-subscriptions';
import { establishedTo } from './subscription-fixtures';

const BUFFER = 20;
const FLOOD = 200;
const PROGRESS = parse('subscription($id: ID!) { backfillProgress(backfillId: $id) { status processed } }');

const SUPERGRAPH = readFileSync(path.join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8');

type Progress = FormattedExecutionResult<{ backfillProgress: { status: string; processed: number } }>;

/** A progress event of `backfillId` as partners' runner publishes it. */
const progressEvent = (backfillId: string, processed: number) => ({
  backfillId,
  status: 'RUNNING',
  processed,
  total: 1_000,
  matched: 0,
  created: 0,
  alreadyAssociated: 0,
  percent: processed / 10,
  etaSeconds: 60,
  at: new Date(),
});

describe('subscriptions when things change around them', () => {
  let graph: Graph;
  let subscriptions: FederatedSubscriptions;
  let backfillId: string;
  let partnerId: string;

  beforeAll(async () => {
    graph = await startGraph('pglite', { env: { BACKFILL_RUNNER: 'off' } });
    const admin = await graph.as('admin');
    const gql = async <T>(query: string, variables?: Record<string, unknown>) => {
      const { body } = await graph.post(admin, query, variables);
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data as T;
    };
    const { createPartner } = await gql<{ createPartner: { id: string } }>(
      'mutation { createPartner(input: { name: "Slow Plan" }) { id } }',
    );
    const { ingestRoster } = await gql<{ ingestRoster: { id: string } }>(
      'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id } }',
      {
        i: {
          partnerId: createPartner.id,
          kind: 'BACKFILL',
          fileName: 'slow.csv',
          content:
            'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip\nS1,Sam,,Slow,1960-01-02,M,,,,,',
        },
      },
    );
    await gql('mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created } }', {
      r: [
        {
          id: 'cr-slow-1',
          createdAt: '2026-04-01T10:00:00.000Z',
          status: 'COMPLETED',
          patient: { id: 'pt-slow-1', givenName: 'Sam', familyName: 'Slow', dateOfBirth: '1960-01-02', sex: 'M' },
        },
      ],
    });
    const { startBackfill } = await gql<{ startBackfill: { id: string } }>(
      'mutation($i: StartBackfillInput!) { startBackfill(input: $i) { id } }',
      { i: { partnerId: createPartner.id, rosterId: ingestRoster.id, startDate: '2026-04-01', endDate: '2026-04-01' } },
    );
    backfillId = startBackfill.id;
    partnerId = createPartner.id;
    // Handed off to partners, whose runner is off: RUNNING at 0 until the events below.
    await eventually('the backfill to be RUNNING', async () => {
      const data = await gql<{ backfill: { status: string } }>('query($id: ID!) { backfill(id: $id) { status } }', { id: backfillId });
      return data.backfill.status === 'RUNNING';
    });

    const internalAuth = new InternalAuth(new TextEncoder().encode(graph.env.INTERNAL_AUTH_SECRET!));
    subscriptions = federatedSubscriptions({
      supergraphSdl: SUPERGRAPH,
      subgraphUrl: (name) => graph.subgraphs[name as keyof Graph['subgraphs']].url,
      dataSource: (name, url) => new SignedIdentityDataSource({ name, url, internalAuth }),
      connectionParams: ({ identity, requestId }, subgraph) =>
        internalHeaders(internalAuth, identity, requestId, { service: subgraph.name, use: 'ws', target: requestTarget(subgraph.url) }),
      bufferSize: BUFFER,
      stateFields: new Set(['backfillProgress']),
      logger: createLogger('gateway-test', { LOG_LEVEL: 'error' }),
    });
  });
  afterAll(() => graph?.close());

  const subscribe = () =>
    subscriptions.subscribe({
      document: PROGRESS,
      variables: { id: backfillId },
      context: { identity: { subject: 'slow-test', role: 'admin' }, requestId: `slow-${Math.random()}` },
    }) as AsyncIterableIterator<Progress>;

  const subscribeAs = (identity: Identity, document = PROGRESS) =>
    subscriptions.subscribe({
      document,
      variables: document === PROGRESS ? { id: backfillId } : {},
      context: { identity, requestId: `share-${Math.random()}` },
    }) as AsyncIterableIterator<FormattedExecutionResult<Record<string, { processed?: number; id?: string }>>>;

  it('shares one upstream subscription among subscribers of the same operation with the same access; a late one of a state subscription starts from the last event', async () => {
    const partnersPort = graph.subgraphs.partners.port;
    const before = establishedTo(partnersPort);
    const admins = Array.from({ length: 50 }, (_, i) => subscribeAs({ subject: `admin-${i}`, role: 'admin' }));
    for (const first of await Promise.all(admins.map((subscription) => subscription.next()))) {
      expect(first.value.data.backfillProgress.processed).toBe(0);
    }
    // 50 subscribers, one upstream socket (a keep-alive socket of earlier calls may close meanwhile, never open).
    expect(establishedTo(partnersPort) - before).toBeLessThanOrEqual(1);
    // Another access (the partner's own token) is another upstream subscription: the subgraph checks it.
    const partner = subscribeAs({ subject: 'partner-1', role: 'partner', partnerId });
    expect((await partner.next()).value.data.backfillProgress.processed).toBe(0);
    expect(establishedTo(partnersPort) - before).toBeLessThanOrEqual(2);

    graph.subgraphs.partners.events.publish(progressTopic(backfillId), progressEvent(backfillId, 7));
    for (const next of await Promise.all([...admins, partner].map((subscription) => subscription.next()))) {
      expect(next.value.data.backfillProgress.processed).toBe(7);
    }
    // A late subscriber of a state subscription starts from the last event: the state now, without a new upstream.
    const late = subscribeAs({ subject: 'admin-late', role: 'admin' });
    expect((await late.next()).value.data.backfillProgress.processed).toBe(7);
    expect(establishedTo(partnersPort) - before).toBeLessThanOrEqual(2);
    await Promise.all([...admins, partner, late].map((subscription) => subscription.return?.()));
    await eventually('the upstream sockets are closed', async () => establishedTo(partnersPort) <= before);
  });

  it('gives a late subscriber of an event feed (dataLoaded) the events from when it joined, not the last one before', async () => {
    const DATA_LOADED = parse('subscription { dataLoaded { id kind } }');
    const admin = await graph.as('admin');
    const importOne = async (n: number) => {
      const record = {
        id: `cr-feed-${n}`,
        createdAt: '2026-05-01T10:00:00.000Z',
        status: 'COMPLETED',
        patient: { id: `pt-feed-${n}`, givenName: 'Fay', familyName: 'Feed', dateOfBirth: '1970-01-01', sex: 'F' },
      };
      const { body } = await graph.post(admin, 'mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created } }', {
        r: [record],
      });
      expect(body.errors).toBeUndefined();
    };
    const early = subscribeAs({ subject: 'feed-early', role: 'admin' }, DATA_LOADED);
    const firstLoad = early.next();
    // The upstream subscription is live once care-requests serves it.
    await eventually('care-requests to serve the subscription', async () => dataLoadedSubscriptions() > 0);
    await importOne(1);
    const one = (await firstLoad).value.data.dataLoaded;
    expect(one.kind).toBe('CARE_REQUEST_IMPORT');
    const late = subscribeAs({ subject: 'feed-late', role: 'admin' }, DATA_LOADED);
    await importOne(2);
    const [two, lateFirst] = await Promise.all([early.next(), late.next()]);
    expect(two.value.data.dataLoaded.id).not.toBe(one.id);
    expect(lateFirst.value.data.dataLoaded.id).toBe(two.value.data.dataLoaded.id);
    await Promise.all([early.return?.(), late.return?.()]);
  });

  it(`ends a subscriber that falls ${BUFFER} events behind with SLOW_SUBSCRIBER; one that reads gets all ${FLOOD}, in order`, async () => {
    const reader = subscribe();
    const idle = subscribe();
    // Both have the state now (so both are subscribed upstream), then only `reader` reads on.
    const [first, idleFirst] = await Promise.all([reader.next(), idle.next()]);
    expect(first.value.data?.backfillProgress).toEqual({ status: 'RUNNING', processed: 0 });
    expect(idleFirst.value.data?.backfillProgress).toEqual({ status: 'RUNNING', processed: 0 });

    const { events } = graph.subgraphs.partners;
    const received: number[] = [];
    for (let processed = 1; processed <= FLOOD; processed++) {
      events.publish(progressTopic(backfillId), progressEvent(backfillId, processed));
      // The reader keeps up: it has each event before the next goes out.
      const next = await reader.next();
      received.push(next.value.data.backfillProgress.processed);
    }
    expect(received).toEqual(Array.from({ length: FLOOD }, (_, i) => i + 1));

    // The one that did not read: at most the one event it was being handed, then the error (what waited was
    // dropped), then it is over.
    const rest: Progress[] = [];
    for (let next = await idle.next(); !next.done; next = await idle.next()) rest.push(next.value);
    expect(rest.length).toBeLessThanOrEqual(2);
    expect(rest.at(-1)).toEqual({
      errors: [
        {
          message: `This subscription fell ${BUFFER} events behind its client (it read too slowly) and was ended; subscribe again (the first event is the state now).`,
          extensions: { code: 'SLOW_SUBSCRIBER' },
        },
      ],
    });
    // The reader is still live: one more event reaches it.
    events.publish(progressTopic(backfillId), progressEvent(backfillId, FLOOD + 1));
    expect((await reader.next()).value.data.backfillProgress.processed).toBe(FLOOD + 1);
    await reader.return?.();
  });

  describe('a supergraph change', () => {
    let dir: string;
    let file: string;
    let gateway: RunningGateway;
    const logged: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    const clients: Client[] = [];
    const logger: Logger = Object.fromEntries(
      (['debug', 'info', 'warn', 'error'] as const).map((level) => [
        level,
        (message: string, fields?: Record<string, unknown>) => logged.push({ level, message, fields }),
      ]),
    ) as unknown as Logger;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-supergraph-'));
      file = path.join(dir, 'supergraph.graphql');
      await writeFile(file, SUPERGRAPH);
      gateway = await startGateway({
        port: 0,
        host: '127.0.0.1',
        dataDir: graph.dataDir,
        env: { ...graph.env, SUPERGRAPH_POLL_MS: '50' },
        supergraphPath: file,
        subgraphUrls: Object.fromEntries(Object.values(graph.subgraphs).map((s) => [s.name, s.url])),
        logger,
      });
    });
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await gateway?.close();
      await rm(dir, { recursive: true, force: true });
    });

    /** The events (and the error, if any) of one subscription through the second gateway. */
    const follow = async (query: string) => {
      const client = createClient({
        url: webSocketUrl(gateway.url),
        webSocketImpl: WebSocket,
        connectionParams: { token: await graph.token('admin') },
        retryAttempts: 0,
      });
      clients.push(client);
      const seen: { events: FormattedExecutionResult[]; error?: unknown } = { events: [] };
      client.subscribe(
        { query, variables: { id: backfillId } },
        { next: (e) => seen.events.push(e as FormattedExecutionResult), error: (e) => (seen.error = e), complete: () => undefined },
      );
      return seen;
    };
    const WITH_ETA = 'subscription($id: ID!) { backfillProgress(backfillId: $id) { processed etaSeconds } }';
    const WITHOUT_ETA = 'subscription($id: ID!) { backfillProgress(backfillId: $id) { processed } }';

    it('serves the new supergraph to new subscriptions and carries the live ones; refuses a file that is not a supergraph', async () => {
      const live = await follow(WITH_ETA);
      await eventually('the live subscription has the state now', async () => live.events.length === 1);

      // The new composition: BackfillProgress without etaSeconds.
      const changed = SUPERGRAPH.replace(
        '  """Seconds left at the current rate; null when unknown or finished."""\n  etaSeconds: Int\n\n  """When this state was read or published."""',
        '  """When this state was read or published."""',
      );
      expect(changed).not.toBe(SUPERGRAPH);
      await writeFile(file, changed);
      await eventually('the gateway to serve the new supergraph', async () =>
        logged.some((entry) => entry.message === 'supergraph updated'),
      );
      const refused = await follow(WITH_ETA);
      await eventually('the new subscription to be refused', async () => refused.error !== undefined);
      expect(JSON.stringify(refused.error)).toContain('Cannot query field \\"etaSeconds\\" on type \\"BackfillProgress\\"');
      const fresh = await follow(WITHOUT_ETA);
      await eventually('a subscription valid in the new supergraph to start', async () => fresh.events.length === 1);

      // The live subscription carries on under the plan it started with.
      graph.subgraphs.partners.events.publish(progressTopic(backfillId), progressEvent(backfillId, 5_000));
      await eventually(
        'the live and the new subscription to get the event',
        async () => live.events.length === 2 && fresh.events.length === 2,
      );
      expect(live.events[1]).toEqual({ data: { backfillProgress: { processed: 5_000, etaSeconds: 60 } } });
      expect(fresh.events[1]).toEqual({ data: { backfillProgress: { processed: 5_000 } } });
      expect(live.error).toBeUndefined();

      // Not a supergraph: logged, and the last good one is still served.
      await writeFile(file, 'type Query { half written');
      await eventually('the bad file to be refused', async () =>
        logged.some((entry) => entry.level === 'error' && entry.message.startsWith('supergraph file not served')),
      );
      const still = await follow(WITHOUT_ETA);
      await eventually('subscriptions still to be served', async () => still.events.length === 1);
      const { body } = await graph.post(
        { url: gateway.url, token: await graph.token('admin') },
        `query($id: ID!) { backfill(id: $id) { status } }`,
        { id: backfillId },
      );
      expect(body).toEqual({ data: { backfill: { status: 'RUNNING' } } });
    });
  });
});
