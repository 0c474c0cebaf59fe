/**
 * A slow subscriber (issue 12, point 7): the gateway holds at most SUBSCRIPTION_BUFFER events for a client that
 * does not read; one more ends that client's subscription with a SLOW_SUBSCRIBER error (its waiting events
 * dropped, its upstream subscription closed), while a client that reads gets every event, in order.
 *
 * The gateway's subscriptions are driven here as graphql-ws's server drives them (it asks for the next event only
 * once the socket has taken the last one), against the running partners subgraph; the flood of events is
 * published on partners' own event bus, as its runner would (faster than a runner's 4 a second).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger, InternalAuth, internalHeaders, repoRoot } from '@care-graph/service-kit';
import type { FormattedExecutionResult } from 'graphql';
import { parse } from 'graphql';
import { eventually } from '../../scripts/eventually';
import { type Graph, startGraph } from '../../scripts/in-process-graph';
import { progressTopic } from '../../subgraphs/partners/src/backfill-runner/progress-events';
import { SignedIdentityDataSource } from '../src/subgraph-client';
import { type FederatedSubscriptions, federatedSubscriptions } from '../src/subscriptions/federated-subscriptions';

const BUFFER = 20;
const FLOOD = 200;
const PROGRESS = parse('subscription($id: ID!) { backfillProgress(backfillId: $id) { status processed } }');

type Progress = FormattedExecutionResult<{ backfillProgress: { status: string; processed: number } }>;

describe('a subscriber that does not read', () => {
  let graph: Graph;
  let subscriptions: FederatedSubscriptions;
  let backfillId: string;

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
    // Handed off to partners, whose runner is off: RUNNING at 0 until the events below.
    await eventually('the backfill to be RUNNING', async () => {
      const data = await gql<{ backfill: { status: string } }>('query($id: ID!) { backfill(id: $id) { status } }', { id: backfillId });
      return data.backfill.status === 'RUNNING';
    });

    const internalAuth = new InternalAuth(new TextEncoder().encode(graph.env.INTERNAL_AUTH_SECRET!));
    subscriptions = federatedSubscriptions({
      supergraphSdl: readFileSync(path.join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8'),
      subgraphUrl: (name) => graph.subgraphs[name as keyof Graph['subgraphs']].url,
      dataSource: (_name, url) => new SignedIdentityDataSource({ url, internalAuth }),
      connectionParams: ({ identity, requestId }) => internalHeaders(internalAuth, identity, requestId),
      bufferSize: BUFFER,
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

  it(`ends the one that falls ${BUFFER} events behind with SLOW_SUBSCRIBER; the one that reads gets all ${FLOOD}, in order`, async () => {
    const reader = subscribe();
    const idle = subscribe();
    // Both have the state now (so both are subscribed upstream), then only `reader` reads on.
    const [first, idleFirst] = await Promise.all([reader.next(), idle.next()]);
    expect(first.value.data?.backfillProgress).toEqual({ status: 'RUNNING', processed: 0 });
    expect(idleFirst.value.data?.backfillProgress).toEqual({ status: 'RUNNING', processed: 0 });

    const { events } = graph.subgraphs.partners;
    const received: number[] = [];
    for (let processed = 1; processed <= FLOOD; processed++) {
      events.publish(progressTopic(backfillId), {
        backfillId,
        status: 'RUNNING',
        processed,
        total: 1_000,
        matched: 0,
        created: 0,
        alreadyAssociated: 0,
        percent: processed / 10,
        etaSeconds: null,
        at: new Date(),
      });
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
    events.publish(progressTopic(backfillId), { backfillId, status: 'RUNNING', processed: FLOOD + 1, total: 1_000, at: new Date() });
    expect((await reader.next()).value.data.backfillProgress.processed).toBe(FLOOD + 1);
    await reader.return?.();
  });
});
