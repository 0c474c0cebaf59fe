/**
 * What the subscription tests over each transport (graphql-ws in subscriptions.test.ts, SSE in sse.test.ts)
 * share: a partner with a READY backfill roster and a matching care request per member, backfills started
 * through the gateway, the partners backfill runner started by hand (the graph's own is off, so that a
 * subscription can be made while a backfill waits for its run), the progress subscription, and a count of
 * the gateway's upstream sockets.
 */
import { readFileSync } from 'node:fs';
import { createLogger, InternalAuth, serviceClient } from '@care-graph/service-kit';
import { eventually } from '../../scripts/eventually';
import type { Graph } from '../../scripts/in-process-graph';
import { type BackfillRunner, runnerSettings, startBackfillRunner } from '../../subgraphs/partners/src/backfill-runner/runner';

const HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
const DOB = (i: number) => `1961-07-${String((i % 28) + 1).padStart(2, '0')}`;
/** The care requests' dates: a backfill over this window finds them. */
const WINDOW = { startDate: '2026-03-01', endDate: '2026-03-02' };

export const PROGRESS = `subscription($id: ID!) {
  backfillProgress(backfillId: $id) {
    status phase processed total percent at
    backfill { id status processed roster { fileName } partner { name } }
  }
}`;

export interface ProgressEvent {
  status: string;
  phase: string;
  processed: number;
  total: number | null;
  percent: number | null;
  backfill: { id: string; status: string; processed: number; roster: { fileName: string }; partner: { name: string } };
}

/** A GraphQL call over HTTP through the gateway that throws on any error. */
export type GraphQLCall = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

/** GraphQL calls through `graph`'s gateway with `token`. */
export function graphQLAs(graph: Graph, token: string): GraphQLCall {
  return async <T>(query: string, variables?: Record<string, unknown>) => {
    const response = await graph.post({ url: graph.url, token }, query, variables);
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data as T;
  };
}

/**
 * A partner `partnerName` with a READY BACKFILL roster `fileName` of `members` people (member ids and
 * names from `tag`), and a COMPLETED care request inside WINDOW for each, to be found by a backfill.
 */
export async function partnerWithRoster(
  gql: GraphQLCall,
  { partnerName, fileName, members, tag }: { partnerName: string; fileName: string; members: number; tag: string },
): Promise<{ partnerId: string; rosterId: string }> {
  const { createPartner } = await gql<{ createPartner: { id: string } }>(
    'mutation($n: String!) { createPartner(input: { name: $n }) { id } }',
    {
      n: partnerName,
    },
  );
  const partnerId = createPartner.id;
  const rows = Array.from({ length: members }, (_, i) => `${tag}${i},${tag}given${i},,${tag}family${i},${DOB(i)},F,,,,,`);
  const { ingestRoster } = await gql<{ ingestRoster: { id: string } }>(
    'mutation($i: IngestRosterInput!) { ingestRoster(input: $i) { id } }',
    {
      i: { partnerId, kind: 'BACKFILL', fileName, content: [HEADER, ...rows].join('\n') },
    },
  );
  const rosterId = ingestRoster.id;
  await eventually('the roster is READY', async () => {
    const { roster } = await gql<{ roster: { status: string } }>('query($id: ID!) { roster(id: $id) { status } }', { id: rosterId });
    return roster.status === 'READY';
  });
  const start = Date.UTC(2026, 2, 1);
  const records = Array.from({ length: members }, (_, i) => ({
    id: `cr-${tag}-${String(i).padStart(2, '0')}`,
    createdAt: new Date(start + i * 60 * 60_000).toISOString(),
    status: 'COMPLETED',
    patient: { id: `pt-${tag}-${i}`, givenName: `${tag}given${i}`, familyName: `${tag}family${i}`, dateOfBirth: DOB(i), sex: 'F' },
  }));
  await gql('mutation($r: [CareRequestImportInput!]!) { importCareRequests(records: $r) { created } }', { r: records });
  return { partnerId, rosterId };
}

/** Starts a backfill (WINDOW unless `input` says otherwise) and returns its id. */
export async function startBackfill(gql: GraphQLCall, input: Record<string, unknown>): Promise<string> {
  const { startBackfill } = await gql<{ startBackfill: { id: string } }>(
    'mutation($i: StartBackfillInput!) { startBackfill(input: $i) { id } }',
    {
      i: { ...WINDOW, ...input },
    },
  );
  return startBackfill.id;
}

/** The backfill's status as pop-health has it. */
export async function backfillStatus(gql: GraphQLCall, id: string): Promise<string> {
  const { backfill } = await gql<{ backfill: { status: string } }>('query($id: ID!) { backfill(id: $id) { status } }', { id });
  return backfill.status;
}

/** Starts a partners backfill runner on `graph`'s database with small pages, as partners' background work would. */
export function startRunner(graph: Graph): BackfillRunner {
  const internalAuth = new InternalAuth(new TextEncoder().encode(graph.env.INTERNAL_AUTH_SECRET!));
  const urls: Record<string, string> = Object.fromEntries(Object.entries(graph.subgraphs).map(([name, s]) => [name, s.url]));
  const { database, clock, events } = graph.subgraphs.partners;
  return startBackfillRunner({
    prisma: database.client,
    transaction: database.directTransaction,
    clock,
    callService: serviceClient({ name: 'partners', internalAuth, serviceUrl: (service) => urls[service] }).call,
    logger: createLogger('partners-test', { LOG_LEVEL: 'error' }),
    idleQuery: database.uncountedQuery,
    settings: runnerSettings({ BACKFILL_POLL_MS: '50' }),
    events,
  });
}

/** Established TCP connections whose local end is `port` (the server's side of each connection to it). */
export function establishedTo(port: number): number {
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local && state === '01' && Number.parseInt(local.split(':').at(-1)!, 16) === port) count += 1;
    }
  }
  return count;
}

/** What graphql-ws's and graphql-sse's clients share: `subscribe` with a sink, returning how to unsubscribe. */
interface SubscribingClient {
  subscribe(
    payload: { query: string; variables: Record<string, unknown> },
    sink: { next(event: { errors?: unknown }): void; error(error: unknown): void; complete(): void },
  ): () => void;
}

/**
 * `cycles` times: subscribes to the RUNNING backfill `backfillId` through `client`, and unsubscribes at its first
 * event. Resolves once every upstream socket to `partnersPort` opened meanwhile is closed again (and says if
 * more than a few were ever open at once): the clients' unsubscribes end the upstream subscriptions.
 */
export async function subscribeAndLeave(
  client: SubscribingClient,
  backfillId: string,
  partnersPort: number,
  cycles: number,
): Promise<void> {
  const before = establishedTo(partnersPort);
  let peak = 0;
  for (let cycle = 0; cycle < cycles; cycle += 1) {
    await new Promise<void>((resolve, reject) => {
      const unsubscribe = client.subscribe(
        { query: 'subscription($id: ID!) { backfillProgress(backfillId: $id) { status processed } }', variables: { id: backfillId } },
        {
          next: (event) => {
            if (event.errors) reject(new Error(JSON.stringify(event.errors)));
            unsubscribe();
            resolve();
          },
          error: reject,
          complete: () => reject(new Error('a RUNNING backfill completed')),
        },
      );
    });
    if (cycle % 20 === 0) peak = Math.max(peak, establishedTo(partnersPort));
  }
  await eventually('the upstream sockets are closed', async () => establishedTo(partnersPort) <= before, { deadlineMs: 15_000 });
  if (peak >= before + 20)
    throw new Error(`up to ${peak - before} upstream sockets were open at once; each should close at its unsubscribe`);
}
