/**
 * Subscriptions across instances (issue 12, point 6), with real processes on real PostgreSQL — and Redis when
 * TEST_REDIS_URL is set: two gateways, each in front of its own partners instance, and a third partners instance
 * that nobody subscribes through. The backfill's run is left to the third (the other two run no runner), so every
 * progress event after the first (the state now, read by the instance each gateway calls) crossed the event bus:
 * each subscriber, on either gateway, sees the run start, go forward and complete, then `complete`.
 */
import type { ClientOptions } from '@care-graph/operations';
import type { FormattedExecutionResult } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { freshPostgresDatabase } from '../../scripts/in-process-graph';
import { backfillData, backfillState, loadBackfillData, startBackfill } from './backfill-harness';
import { createProcessGraph, type ProcessGraph, type ServiceProcess } from './graph-processes';
import { waitFor, within } from './processes';

jest.setTimeout(600_000);

const POSTGRES = process.env.TEST_POSTGRES_URL;
const REDIS = process.env.TEST_REDIS_URL;
const DEADLINE_MS = 240_000;

const PROGRESS = `subscription($id: ID!) {
  backfillProgress(backfillId: $id) { status processed total backfill { status roster { fileName } } }
}`;

interface Progress {
  status: string;
  processed: number;
  total: number | null;
  backfill: { status: string; roster: { fileName: string } };
}

/** Every event of one subscription at `gateway` until it completes. */
function follow(gateway: ServiceProcess, token: string, id: string, clients: Client[]) {
  const client = createClient({
    url: gateway.url.replace('http:', 'ws:'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  clients.push(client);
  const events: FormattedExecutionResult<{ backfillProgress: Progress }>[] = [];
  let first: () => void;
  const firstEvent = new Promise<void>((resolve) => {
    first = resolve;
  });
  const done = new Promise<FormattedExecutionResult<{ backfillProgress: Progress }>[]>((resolve, reject) =>
    client.subscribe<{ backfillProgress: Progress }>(
      { query: PROGRESS, variables: { id } },
      {
        next: (event) => {
          events.push(event as FormattedExecutionResult<{ backfillProgress: Progress }>);
          first();
        },
        error: reject,
        complete: () => resolve(events),
      },
    ),
  );
  return { events, firstEvent, done };
}

const transports: [string, NodeJS.ProcessEnv][] = [['PostgreSQL LISTEN/NOTIFY', { PUBSUB: 'postgres' }]];
if (REDIS) transports.push(['Redis', { PUBSUB: 'redis', REDIS_URL: REDIS }]);

if (POSTGRES) {
  describe.each(transports)('subscriptions across instances, events on %s', (_transport, busEnv) => {
    let graph: ProcessGraph;
    let admin: ClientOptions;
    let gateways: ServiceProcess[];
    let runnerInstance: ServiceProcess;
    const clients: Client[] = [];
    const drops: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      const databases = Object.fromEntries(
        await Promise.all(
          (['care-requests', 'pop-health', 'partners'] as const).map(async (name) => {
            const database = await freshPostgresDatabase(POSTGRES, `cg_multi_${name}`);
            drops.push(database.drop);
            return [name, database.url];
          }),
        ),
      );
      const noRunner = { ...busEnv, BACKFILL_RUNNER: 'off' };
      graph = await createProcessGraph({
        databaseUrls: databases,
        env: { partners: noRunner, 'care-requests': busEnv, 'pop-health': busEnv },
      });
      await graph.start();
      const second = await graph.addPartners();
      await second.start();
      const secondGateway = await graph.addGateway({ PARTNERS_URL: second.url });
      await secondGateway.start();
      gateways = [graph.services.gateway, secondGateway];
      runnerInstance = await graph.addPartners({ BACKFILL_RUNNER: 'on', BACKFILL_POLL_MS: '200', BACKFILL_PARTITION_SIZE: '200' });
      admin = await graph.as('admin');
    });
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await graph?.close();
      for (const drop of drops) await drop();
    });

    it('the harness: two gateways, each in front of its own partners instance, neither running backfills', () => {
      expect(gateways.map((g) => g.running)).toEqual([true, true]);
      expect(gateways[0].port).not.toBe(gateways[1].port);
      expect(gateways.map((g) => g.env.PARTNERS_URL)).toEqual([graph.partners[0].url, graph.partners[1].url]);
      for (const instance of graph.partners.slice(0, 2)) expect(instance.output()).toContain('backfill runner off');
    });

    it('every subscriber, on either gateway, gets the run that a third partners instance does, to the terminal event', async () => {
      const data = backfillData(20261212, { rosterSize: 300, careRequests: 1500 });
      const loaded = await loadBackfillData(admin, data, { partnerName: 'Fan-out Plan', fileName: 'fan-out.csv' });
      const id = await startBackfill(admin, { ...loaded, startDate: data.startDate, endDate: data.endDate, batchSize: 50 });
      // Handed off to partners (its run exists, RUNNING), and no runner anywhere to move it yet.
      await waitFor(
        'the backfill to be handed off to partners',
        DEADLINE_MS,
        async () => (await backfillState(admin, id)).status === 'RUNNING',
      );
      const subscriptions = gateways.flatMap((gateway) => [1, 2].map(() => follow(gateway, admin.token!, id, clients)));
      await within('every subscriber to have the state now', DEADLINE_MS, Promise.all(subscriptions.map((s) => s.firstEvent)));
      for (const { events } of subscriptions) expect(events[0].data?.backfillProgress).toMatchObject({ status: 'RUNNING', processed: 0 });

      await runnerInstance.start();
      const results = await within('every subscription to complete', DEADLINE_MS, Promise.all(subscriptions.map((s) => s.done)));
      for (const events of results) {
        expect(events.every((event) => !event.errors)).toBe(true);
        const progress = events.map((event) => event.data!.backfillProgress);
        const last = progress.at(-1)!;
        // The terminal event came from the runner's instance, through the bus, whichever instance the gateway called.
        expect(last).toMatchObject({ status: 'COMPLETED', processed: data.inWindow, total: data.inWindow });
        expect(last.backfill.roster.fileName).toBe('fan-out.csv');
        expect(progress.slice(0, -1).every((event) => event.status === 'RUNNING')).toBe(true);
        const processed = progress.map((event) => event.processed);
        expect(processed).toEqual([...processed].sort((a, b) => a - b));
      }
      // The run was the third instance's: it claimed the partitions, the two the gateways call claimed none.
      expect(runnerInstance.output()).toContain('claimed backfill partition');
      for (const instance of graph.partners.slice(0, 2)) expect(instance.output()).not.toContain('claimed backfill partition');
    });
  });
}
