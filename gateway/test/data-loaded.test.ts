/**
 * `dataLoaded` through the gateway over graphql-ws, with graphql-ws's own client: each finished data load —
 * a care-request import, a roster ingestion, a backfill — pushed to an admin subscriber, its partner's name
 * joined per event from the partners subgraph; a partner's subscriber gets its own partner's loads only (not
 * another partner's, not imports, which are every partner's); a subscriber that goes frees its subscription
 * in care-requests at once.
 */
import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from '../../scripts/eventually';
import { DATABASE_KINDS, type Graph, startGraph } from '../../scripts/in-process-graph';
import { dataLoadedSubscriptions } from '../../subgraphs/care-requests/src/data-load-events';
import { webSocketUrl } from '../src/subscriptions/federated-subscriptions';

const HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
const MEMBERS = 6;
const DOB = (i: number) => `1958-04-${String(i + 1).padStart(2, '0')}`;

const DATA_LOADED = 'subscription { dataLoaded { id kind status source recordCount finishedAt partner { name } } }';

interface DataLoadEvent {
  id: string;
  kind: 'CARE_REQUEST_IMPORT' | 'ROSTER_INGESTION' | 'BACKFILL';
  status: string;
  source: string | null;
  recordCount: number;
  finishedAt: string | null;
  partner: { name: string } | null;
}

/** A live `dataLoaded` subscription: the events (and errors) so far, and `stop` to unsubscribe. */
interface Watch {
  events: ExecutionResult<{ dataLoaded: DataLoadEvent }>[];
  loads(): DataLoadEvent[];
  stop(): void;
}

describe.each(DATABASE_KINDS)('dataLoaded through the gateway (graphql-ws) on %s', (kind) => {
  let graph: Graph;
  let adminToken: string;
  const clients: Client[] = [];
  /** Partner name → id. */
  const partners: Record<string, string> = {};

  const gql = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
    const response = await graph.post({ url: graph.url, token: adminToken }, query, variables);
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data as T;
  };

  /**
   * Subscribes with `token` and waits until care-requests serves the subscription (so no load finished
   * after this returns can be missed).
   */
  async function watch(token: string): Promise<Watch> {
    const client = createClient({ url: webSocketUrl(graph.url), webSocketImpl: WebSocket, connectionParams: { token }, retryAttempts: 0 });
    clients.push(client);
    const before = dataLoadedSubscriptions();
    const events: Watch['events'] = [];
    const stop = client.subscribe<{ dataLoaded: DataLoadEvent }>(
      { query: DATA_LOADED },
      {
        next: (event) => events.push(event as Watch['events'][number]),
        error: (error) => events.push({ errors: [{ message: `subscription failed: ${JSON.stringify(error)}` }] }),
        // The client completes a subscription it unsubscribes; before that, the feed never ends.
        complete: () => undefined,
      },
    );
    await eventually('care-requests serves the subscription', async () => dataLoadedSubscriptions() > before);
    return {
      events,
      loads: () => {
        for (const event of events) if (event.errors) throw new Error(JSON.stringify(event.errors));
        return events.map((event) => event.data!.dataLoaded);
      },
      stop,
    };
  }

  /** Ingests a roster of `partner` and waits until it is READY; its data load finishes then. */
  async function ingestRoster(partner: string, fileName: string, members = MEMBERS): Promise<string> {
    const rows = Array.from({ length: members }, (_, i) => `${fileName}-${i},Loaded${i},,Member${i},${DOB(i)},F,,,,,`);
    const { ingestRoster: roster } = await gql<{ ingestRoster: { id: string } }>(
      'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id } }',
      { i: { partnerId: partners[partner], kind: 'BACKFILL', fileName, content: [HEADER, ...rows].join('\n') } },
    );
    await eventually('the roster is READY', async () => {
      const { roster: now } = await gql<{ roster: { status: string } }>('query($id: ID!) { roster(id: $id) { status } }', {
        id: roster.id,
      });
      return now.status === 'READY';
    });
    return roster.id;
  }

  /** Imports `count` care requests (as one call, without a load id: a finished load of its own). */
  async function importCareRequests(prefix: string, count: number, day: string) {
    const records = Array.from({ length: count }, (_, i) => ({
      id: `cr-${prefix}-${i}`,
      createdAt: `${day}T0${i}:00:00.000Z`,
      status: 'COMPLETED',
      patient: { id: `pt-${prefix}-${i}`, givenName: `Loaded${i}`, familyName: `Member${i}`, dateOfBirth: DOB(i), sex: 'F' },
    }));
    await gql('mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created } }', { r: records });
  }

  const loadsListed = async () =>
    (
      await gql<{ dataLoads: { edges: { node: { id: string; kind: string; source: string | null } }[] } }>(
        'query { dataLoads(first: 1000) { edges { node { id kind source } } } }',
      )
    ).dataLoads.edges.map((edge) => edge.node);

  beforeAll(async () => {
    graph = await startGraph(kind, { env: { BACKFILL_POLL_MS: '50' } });
    adminToken = await graph.token('admin');
    for (const name of ['Alder Health Plan', 'Birch Health Plan']) {
      const { createPartner } = await gql<{ createPartner: { id: string } }>(
        'mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }',
        { i: { name } },
      );
      partners[name] = createPartner.id;
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await graph?.close();
  });

  it("sends an admin each finished load: an import's, a roster ingestion's and a backfill's, with the partner's name joined", async () => {
    const admin = await watch(adminToken);
    const ofKind = (load: DataLoadEvent['kind']) =>
      eventually(`a ${load} event`, async () => admin.loads().find((event) => event.kind === load), { deadlineMs: 30_000 });

    await importCareRequests('admin', MEMBERS, '2026-04-01');
    expect(await ofKind('CARE_REQUEST_IMPORT')).toEqual({
      id: expect.any(String),
      kind: 'CARE_REQUEST_IMPORT',
      status: 'COMPLETED',
      source: 'importCareRequests',
      recordCount: MEMBERS,
      finishedAt: expect.any(String),
      partner: null,
    });

    const rosterId = await ingestRoster('Alder Health Plan', 'alder-backfill.csv');
    expect(await ofKind('ROSTER_INGESTION')).toEqual({
      id: expect.any(String),
      kind: 'ROSTER_INGESTION',
      status: 'COMPLETED',
      source: 'alder-backfill.csv',
      recordCount: MEMBERS,
      finishedAt: expect.any(String),
      partner: { name: 'Alder Health Plan' },
    });

    const { startBackfill } = await gql<{ startBackfill: { id: string } }>(
      'mutation($i: StartBackfillInput!) { startBackfill(input: $i) { id } }',
      { i: { partnerId: partners['Alder Health Plan'], rosterId, startDate: '2026-04-01', endDate: '2026-04-01' } },
    );
    const backfillLoad = await ofKind('BACKFILL');
    const { backfill } = await gql<{ backfill: { status: string; created: number } }>(
      'query($id: ID!) { backfill(id: $id) { status created } }',
      { id: startBackfill.id },
    );
    expect(backfill).toEqual({ status: 'COMPLETED', created: MEMBERS });
    expect(backfillLoad).toEqual({
      id: expect.any(String),
      kind: 'BACKFILL',
      status: 'COMPLETED',
      source: 'alder-backfill.csv',
      recordCount: MEMBERS,
      finishedAt: expect.any(String),
      partner: { name: 'Alder Health Plan' },
    });

    // The events are the loads the feed lists, each once, in the order they finished.
    const events = admin.loads();
    expect(events.map((event) => event.kind)).toEqual(['CARE_REQUEST_IMPORT', 'ROSTER_INGESTION', 'BACKFILL']);
    const listed = await loadsListed();
    for (const event of events) expect(listed).toContainEqual({ id: event.id, kind: event.kind, source: event.source });
    admin.stop();
  });

  it("sends a partner its own partner's loads only: not another partner's, not care-request imports", async () => {
    const alder = await watch(await graph.token('partner', partners['Alder Health Plan']));
    const birch = await watch(await graph.token('partner', partners['Birch Health Plan']));
    const admin = await watch(adminToken);
    // Another partner's load and an import finish first; the admin's subscription shows they went out.
    await ingestRoster('Birch Health Plan', 'birch-current.csv', 2);
    await importCareRequests('partner', 2, '2026-04-10');
    await eventually('the admin got both', async () => admin.loads().length === 2);
    // Then Alder's own. One subscription's events arrive in the order the loads finished, so once Alder's
    // own has arrived, anything it should not see would have arrived before it.
    await ingestRoster('Alder Health Plan', 'alder-current.csv', 3);
    await eventually('Alder got its own load', async () => alder.loads().length > 0);
    await eventually('the admin got all three', async () => admin.loads().length === 3);
    expect(alder.loads()).toEqual([
      expect.objectContaining({
        kind: 'ROSTER_INGESTION',
        source: 'alder-current.csv',
        recordCount: 3,
        partner: { name: 'Alder Health Plan' },
      }),
    ]);
    // The positive control: Birch's subscription, served the same way, does get Birch's load (and only it).
    expect(birch.loads()).toEqual([
      expect.objectContaining({
        kind: 'ROSTER_INGESTION',
        source: 'birch-current.csv',
        recordCount: 2,
        partner: { name: 'Birch Health Plan' },
      }),
    ]);
    expect(admin.loads().map((event) => [event.kind, event.source])).toEqual([
      ['ROSTER_INGESTION', 'birch-current.csv'],
      ['CARE_REQUEST_IMPORT', 'importCareRequests'],
      ['ROSTER_INGESTION', 'alder-current.csv'],
    ]);
    for (const subscription of [alder, birch, admin]) subscription.stop();
  });

  it('frees the subscription in care-requests as soon as the subscriber goes', async () => {
    await eventually('no subscription left from the tests before', async () => dataLoadedSubscriptions() === 0);
    const subscriptions = [await watch(adminToken), await watch(await graph.token('partner', partners['Birch Health Plan']))];
    expect(dataLoadedSubscriptions()).toBe(2);
    subscriptions[0].stop();
    await eventually('the unsubscribed one is freed', async () => dataLoadedSubscriptions() === 1);
    // A client that goes away without unsubscribing frees its subscription too.
    await clients.at(-1)!.dispose();
    await eventually('the disconnected one is freed', async () => dataLoadedSubscriptions() === 0);
    // Neither got an event or an error: nothing finished meanwhile, and unsubscribing is not a failure.
    expect(subscriptions.flatMap((subscription) => subscription.events)).toEqual([]);
  });

  it("refuses a partner for a care-request import load: imports are every partner's", async () => {
    const response = await graph.post(
      { url: graph.url, token: adminToken },
      'mutation($p: ID!) { startDataLoad(input: { kind: CARE_REQUEST_IMPORT, source: "x.ndjson", partnerId: $p }) { id } }',
      { p: partners['Alder Health Plan'] },
    );
    expect(response.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
  });
});
