/**
 * Subscriptions across instances (issue 12, point 6), with real processes on real PostgreSQL — and Redis when
 * TEST_REDIS_URL is set: two gateways, each in front of its own partners instance, and a third partners instance
 * that nobody subscribes through. The backfill's run is left to the third (the other two run no runner), so every
 * progress event after the first (the state now, read by the instance each gateway calls) crossed the event bus:
 * each subscriber, on either gateway, sees the run start, go forward and complete, then `complete`. Then the
 * partners instance behind the second gateway is SIGKILLed under a live subscription: its subscriber gets an
 * error event (SERVICE_UNAVAILABLE) and the end, never a silent hang, and the first gateway's goes on. With Redis the
 * two gateways also share each identity's rate-limit bucket.
 */
import { randomUUID } from 'node:crypto';
import type { ClientOptions } from '@care-graph/operations';
import { signDevToken } from '@care-graph/service-kit';
import type { FormattedExecutionResult } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { freshPostgresDatabase } from '../../scripts/in-process-graph';
import { backfillData, backfillState, graphql, loadBackfillData, startBackfill } from './backfill-harness';
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
        env: {
          partners: noRunner,
          'care-requests': busEnv,
          'pop-health': busEnv,
          // A partner's bucket of 6 that barely refills; with Redis the gateways share it (rate-limits/).
          gateway: { RATE_LIMIT_GRAPHQL_PARTNER: '6,0.01', ...(busEnv.REDIS_URL ? { REDIS_URL: busEnv.REDIS_URL } : {}) },
        },
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

    it(`holds a partner token to one rate-limit bucket ${busEnv.REDIS_URL ? 'shared by both gateways (Redis)' : 'per gateway (no Redis)'}`, async () => {
      // A subject of its own: Redis keeps buckets across runs (a drained one refills only after 10 minutes here).
      const gateway = graph.services.gateway;
      const identity = { subject: `rate-${randomUUID()}`, role: 'partner' as const, partnerId: 'rate-limited-partner' };
      const token = await signDevToken(gateway.dataDir, identity, { env: gateway.env });
      const pull = async (gateway: ServiceProcess) =>
        (
          await fetch(gateway.url, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ partners(first: 1) { transactionTime } }' }),
          })
        ).status;
      const statuses = [];
      for (let i = 0; i < 8; i += 1) statuses.push(await pull(gateways[i % 2]));
      // Alternating gateways: a shared bucket of 6 refuses the 7th and 8th; one bucket per gateway refuses none.
      expect(statuses).toEqual(busEnv.REDIS_URL ? [200, 200, 200, 200, 200, 200, 429, 429] : Array(8).fill(200));
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

    it('ends a live subscription with SERVICE_UNAVAILABLE when the partners instance behind it is SIGKILLed', async () => {
      // A backfill that stays RUNNING: the runner's instance is stopped first.
      await runnerInstance.stop();
      const data = backfillData(20261213, { rosterSize: 50, careRequests: 200 });
      const loaded = await loadBackfillData(admin, data, { partnerName: 'Kill Plan', fileName: 'kill.csv' });
      const id = await startBackfill(admin, { ...loaded, startDate: data.startDate, endDate: data.endDate });
      await waitFor(
        'the backfill to be handed off to partners',
        DEADLINE_MS,
        async () => (await backfillState(admin, id)).status === 'RUNNING',
      );
      const [survivor, victim] = gateways.map((gateway) => follow(gateway, admin.token!, id, clients));
      await within('both subscribers to have the state now', DEADLINE_MS, Promise.all([survivor.firstEvent, victim.firstEvent]));

      await graph.partners[1].kill();
      const events = await within('the subscriber behind the killed instance to be told', DEADLINE_MS, victim.done);
      expect(events.at(-1)).toEqual({
        errors: [
          expect.objectContaining({
            message: expect.stringContaining('The partners service closed the subscription'),
            extensions: { code: 'SERVICE_UNAVAILABLE' },
          }),
        ],
      });
      // The other gateway's subscription, through the instance still running, is live: a cancel reaches it.
      await graphql(admin, 'cancelBackfill', 'mutation($id: ID!) { cancelBackfill(id: $id) { id } }', { id });
      const rest = await within('the surviving subscription to end with the cancel', DEADLINE_MS, survivor.done);
      expect(rest.at(-1)?.data?.backfillProgress.status).toBe('CANCELLED');
    });
  });
}
