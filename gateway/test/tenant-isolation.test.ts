/**
 * Tenant isolation, walked from the schema: partner B's token, given partner A's ids, gets none of A's records,
 * ids, names, file names or member ids back — through every root field of the supergraph, and from every
 * subgraph's `_entities` for every resolvable entity type. Each field and entity needs a rule in the tables
 * below, so a new one cannot slip in unchecked. A's own token (and admin) do get A's records by the same calls,
 * so the test cannot pass by answering nothing to everyone.
 */
import { randomUUID } from 'node:crypto';
import {
  type CareRequestImportInput,
  CreatePartnerDocument,
  DataLoadsDocument,
  FinishDataLoadDocument,
  ImportCareRequestsDocument,
  IngestRosterDocument,
  StartDataLoadDocument,
} from '@care-graph/operations';
import { type Identity, InternalAuth, internalSigner } from '@care-graph/service-kit';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from '../../scripts/eventually';
import { DATABASE_KINDS, type Graph, startGraph } from '../../scripts/in-process-graph';
import { webSocketUrl } from '../src/subscriptions/federated-subscriptions';
import { entitiesOperation, readSupergraph, resolvableEntities, rootFields, rootOperation } from './supergraph-walk';

const ROSTER_HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';

/** What one partner has in the graph; every string of it is that partner's to see and no other's. */
interface Tenant {
  partnerId: string;
  name: string;
  rosterId: string;
  fileName: string;
  memberIds: string[];
  rosterPatientIds: string[];
  rosterPatientNames: string[];
  careRequestIds: string[];
  patientIds: string[];
  patientNames: string[];
  associationIds: string[];
  backfillId: string;
  dataLoadIds: string[];
}

const secretsOf = (tenant: Tenant): string[] =>
  Object.values(tenant)
    .flat()
    .filter((value): value is string => typeof value === 'string');

/** Partner `label`'s partner, roster (ingested), care requests (imported), associations and a backfill. */
async function createTenant(graph: Graph, label: string, name: string, size: number): Promise<Tenant> {
  const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name } });
  const partnerId = createPartner.id;
  const people = Array.from({ length: size }, (_, i) => ({
    memberId: `ISO-${label}-MEMBER-${i + 1}`,
    givenName: `${label}given${i + 1}x`,
    familyName: `${label}family${i + 1}x`,
  }));
  const fileName = `${label.toLowerCase()}-tenant-roster.csv`;
  const rows = people.map((p) => `${p.memberId},${p.givenName},,${p.familyName},1950-06-05,F,,1 Main St,Denver,CO,80201`);
  const { ingestRoster } = await graph.run('admin', IngestRosterDocument, {
    input: { partnerId, kind: 'BACKFILL', fileName, content: [ROSTER_HEADER, ...rows].join('\n') },
  });
  const popHealth = graph.subgraphs['pop-health'].database.client;
  const rosterPatients = await popHealth.rosterPatient.findMany({ where: { rosterId: ingestRoster.id }, orderBy: { memberId: 'asc' } });
  const backfill = await popHealth.backfill.create({
    data: {
      partnerId,
      rosterId: ingestRoster.id,
      startDate: new Date('2026-01-01'),
      endDate: new Date('2026-01-31'),
      status: 'COMPLETED',
      lastUpdated: new Date(),
    },
  });

  const records: CareRequestImportInput[] = people.map((p, i) => ({
    id: `iso-${label}-care-request-${i + 1}`,
    createdAt: new Date(Date.UTC(2026, 0, 2 + i)).toISOString(),
    status: 'COMPLETED',
    patient: {
      id: `iso-${label}-patient-${i + 1}`,
      givenName: p.givenName,
      familyName: p.familyName,
      dateOfBirth: '1950-06-05',
      sex: 'F',
      memberId: p.memberId,
      address: { line1: '1 Main St', city: 'Denver', state: 'CO', postalCode: '80201' },
    },
  }));
  await graph.run('admin', ImportCareRequestsDocument, { records });
  // Associations are written by backfills; here they are put in place directly, with every reference set.
  const partners = graph.subgraphs.partners.database.client;
  const associations = await Promise.all(
    records.map((record, i) =>
      partners.partnerAssociation.create({
        data: {
          partnerId,
          careRequestId: record.id,
          rosterPatientId: rosterPatients[i].id,
          backfillId: backfill.id,
          source: 'BACKFILL',
          matchScore: 0.99,
          matchGrade: 'CERTAIN',
          matchExplanation: { summary: `${people[i].givenName} ${people[i].familyName} matched ${people[i].memberId}` },
          lastUpdated: new Date(),
        },
      }),
    ),
  );
  // The backfill's run (partners): finished and reported, so the runner leaves it alone.
  await partners.backfillRun.create({
    data: {
      backfillId: backfill.id,
      partnerId,
      rosterId: ingestRoster.id,
      windowFrom: new Date('2026-01-01'),
      windowUntil: new Date('2026-02-01'),
      batchSize: 100,
      acceptGrades: ['CERTAIN', 'PROBABLE'],
      status: 'COMPLETED',
      total: size,
      processed: size,
      matched: size,
      created: size,
      finishedAt: new Date(),
      outcomeReportedAt: new Date(),
    },
  });
  const { dataLoads } = await graph.run('admin', DataLoadsDocument, { first: 1000 });
  return {
    partnerId,
    name,
    rosterId: ingestRoster.id,
    fileName,
    memberIds: people.map((p) => p.memberId),
    rosterPatientIds: rosterPatients.map((r) => r.id),
    rosterPatientNames: people.flatMap((p) => [p.givenName, p.familyName]),
    careRequestIds: records.map((r) => r.id),
    patientIds: records.map((r) => r.patient.id),
    patientNames: people.flatMap((p) => [p.givenName, p.familyName]),
    associationIds: associations.map((a) => a.id),
    backfillId: backfill.id,
    dataLoadIds: dataLoads.edges.filter((e) => e.node.source?.includes(fileName)).map((e) => e.node.id),
  };
}

/**
 * How partner B calls a root field with A's ids, and what B gets: `missing` (null, or a connection without
 * edges: as for ids that do not exist), `forbidden` (FORBIDDEN, the field is not for partner tokens) or `own`
 * (B's own records only). `ownerSees`: what A's own token gets by the same call (for `missing` fields).
 */
interface RootFieldCase {
  args: (a: Tenant) => Record<string, unknown>;
  partnerB: 'missing' | 'forbidden' | 'own';
  ownerSees?: (a: Tenant) => string[];
}

const forbidden = (args: RootFieldCase['args'] = () => ({})): RootFieldCase[] => [{ args, partnerB: 'forbidden' }];

const QUERY_RULES: Record<string, RootFieldCase[]> = {
  careRequest: forbidden((a) => ({ id: a.careRequestIds[0] })),
  careRequests: forbidden(),
  careRequestsCreated: forbidden(() => ({ window: { from: '2000-01-01T00:00:00.000Z', until: '2100-01-01T00:00:00.000Z' } })),
  careRequestsCreatedCount: forbidden(() => ({ window: { from: '2000-01-01T00:00:00.000Z', until: '2100-01-01T00:00:00.000Z' } })),
  patients: forbidden(),
  dataLoads: forbidden(),
  auditEvents: forbidden(),
  associatedCareRequestIds: forbidden((a) => ({ partnerId: a.partnerId, careRequestIds: a.careRequestIds })),
  matchPatients: forbidden((a) => ({
    rosterId: a.rosterId,
    patients: [
      { id: 'probe-1', givenName: a.rosterPatientNames[0], familyName: a.rosterPatientNames[1], dateOfBirth: '1950-06-05', sex: 'F' },
    ],
  })),
  partner: [
    {
      args: (a) => ({ id: a.partnerId }),
      partnerB: 'missing',
      // Through the entity hops: care requests and patients (care-requests), roster patients and the backfill (pop-health).
      ownerSees: (a) => [a.name, ...a.associationIds, ...a.careRequestIds, ...a.patientNames, ...a.memberIds, a.backfillId, a.fileName],
    },
  ],
  partners: [{ args: () => ({}), partnerB: 'own' }],
  roster: [
    {
      args: (a) => ({ id: a.rosterId }),
      partnerB: 'missing',
      ownerSees: (a) => [a.fileName, ...a.rosterPatientIds, ...a.memberIds, a.backfillId],
    },
  ],
  rosters: [
    {
      args: (a) => ({ partnerId: a.partnerId }),
      partnerB: 'missing',
      ownerSees: (a) => [a.rosterId, a.fileName, ...a.rosterPatientIds, ...a.memberIds, a.backfillId],
    },
    { args: () => ({}), partnerB: 'own' },
  ],
  backfill: [{ args: (a) => ({ id: a.backfillId }), partnerB: 'missing', ownerSees: (a) => [a.backfillId, a.fileName, a.partnerId] }],
  backfills: [
    { args: (a) => ({ partnerId: a.partnerId }), partnerB: 'missing', ownerSees: (a) => [a.backfillId, a.fileName] },
    { args: () => ({}), partnerB: 'own' },
  ],
};

/** Mutations partner B calls with A's ids and names: none is for partner tokens, so each answers FORBIDDEN. */
const MUTATION_RULES: Record<string, (a: Tenant) => Record<string, unknown>> = {
  startDataLoad: (a) => ({ input: { kind: 'ROSTER_INGESTION', source: a.fileName } }),
  startBackfillRun: (a) => ({
    input: {
      backfillId: randomUUID(),
      partnerId: a.partnerId,
      rosterId: a.rosterId,
      window: { from: '2026-01-01T00:00:00.000Z', until: '2026-02-01T00:00:00.000Z' },
      batchSize: 100,
      acceptGrades: ['CERTAIN'],
      dryRun: false,
    },
  }),
  cancelBackfillRun: (a) => ({ backfillId: a.backfillId }),
  finishDataLoad: (a) => ({ id: a.dataLoadIds[0], status: 'FAILED' }),
  importCareRequests: (a) => ({
    records: [
      {
        id: a.careRequestIds[0],
        createdAt: '2026-01-02T00:00:00.000Z',
        status: 'CANCELLED',
        patient: { id: a.patientIds[0], givenName: 'Overwritten', familyName: 'Overwritten', dateOfBirth: '1950-06-05', sex: 'F' },
      },
    ],
  }),
  createPartner: (a) => ({ input: { name: a.name } }),
  startBackfill: (a) => ({ input: { partnerId: a.partnerId, rosterId: a.rosterId, startDate: '2026-02-01', endDate: '2026-02-28' } }),
  cancelBackfill: (a) => ({ id: a.backfillId }),
  finishBackfill: (a) => ({
    input: {
      backfillId: a.backfillId,
      outcome: 'FAILED',
      error: 'x',
      processed: 0,
      total: 0,
      matched: 0,
      created: 0,
      alreadyAssociated: 0,
    },
  }),
  ingestRoster: (a) => ({
    input: {
      partnerId: a.partnerId,
      kind: 'CURRENT',
      fileName: a.fileName,
      content: `${ROSTER_HEADER}\n${a.memberIds[0]},X,,Y,1950-06-05,F,,,,,`,
    },
  }),
  recordAuditEvents: (a) => ({
    events: [
      {
        id: randomUUID(),
        at: '2026-02-01T00:00:00.000Z',
        actor: { subject: 'forged', role: 'admin', partnerId: a.partnerId },
        fields: ['cancelBackfill'],
        ids: [a.backfillId],
        idsTotal: 1,
        outcome: 'SUCCESS',
        errorCodes: [],
        requestId: 'forged',
        transport: 'http',
      },
    ],
  }),
};

/**
 * The record of A that a representation of each entity type names, and whether A's own token resolves it (as
 * the type's root field would answer A; a DataLoad of A's roster is A's, though the dataLoads list is admin/service only).
 */
const ENTITY_RULES: Record<string, { id: (a: Tenant) => string; ownerSees: boolean }> = {
  Partner: { id: (a) => a.partnerId, ownerSees: true },
  PartnerAssociation: { id: (a) => a.associationIds[0], ownerSees: true },
  CareRequest: { id: (a) => a.careRequestIds[0], ownerSees: true },
  Patient: { id: (a) => a.patientIds[0], ownerSees: true },
  Roster: { id: (a) => a.rosterId, ownerSees: true },
  RosterPatient: { id: (a) => a.rosterPatientIds[0], ownerSees: true },
  Backfill: { id: (a) => a.backfillId, ownerSees: true },
  DataLoad: { id: (a) => a.dataLoadIds[0], ownerSees: true },
};

/**
 * Each call selects the whole type (nested lists and entity hops) and, again, its own fields alone: a guarded
 * nested field (FORBIDDEN, nulling its non-null parent) must not be what hides a leak of the fields beside it.
 */
const DEPTHS = [6, 0];

/**
 * Subscriptions, called over graphql-ws through the gateway. To one record (`args`): what partner B's
 * subscription to A's record answers ('missing': one event, NOT_FOUND, nothing of A's), and what A's own
 * first event must hold. A feed of everyone's records (`publish`: makes one record of a tenant appear in it):
 * B's subscription gets none of A's records, while its own do come (so B's silence is not a dead
 * subscription), and A's event of its own record must hold `ownerSees`.
 */
type SubscriptionRule =
  | { args: (a: Tenant) => Record<string, unknown>; ownerSees: (a: Tenant) => string[] }
  | { publish: (graph: Graph, tenant: Tenant) => Promise<void>; ownerSees: (a: Tenant) => string[] };

const SUBSCRIPTION_RULES: Record<string, SubscriptionRule> = {
  backfillProgress: { args: (a) => ({ backfillId: a.backfillId }), ownerSees: (a) => [a.backfillId, a.fileName, a.partnerId] },
  // A load of the tenant's data (as pop-health records a roster ingestion), finished.
  dataLoaded: {
    async publish(graph, tenant) {
      const { startDataLoad } = await graph.run('service', StartDataLoadDocument, {
        input: { kind: 'ROSTER_INGESTION', source: tenant.fileName, partnerId: tenant.partnerId },
      });
      await graph.run('service', FinishDataLoadDocument, { id: startDataLoad.id, status: 'COMPLETED' });
    },
    ownerSees: (a) => [a.fileName, a.partnerId, a.name],
  },
};

/** An open subscription through the gateway: its events so far; `close` ends it. */
function openSubscription(url: string, token: string, query: string): { events: Answer[]; close(): Promise<void> } {
  const client = createClient({ url: webSocketUrl(url), webSocketImpl: WebSocket, connectionParams: { token }, retryAttempts: 0 });
  const events: Answer[] = [];
  client.subscribe(
    { query },
    {
      next: (event) => events.push(event as Answer),
      error: (error) => events.push({ errors: [{ message: `subscription failed: ${JSON.stringify(error)}` }] }),
      complete: () => undefined,
    },
  );
  return { events, close: async () => client.dispose() };
}

/** The events of one subscription through the gateway until it completes (or its first `max` events), within 20 s. */
async function subscriptionEvents(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  max = 1,
): Promise<Answer[]> {
  const client = createClient({ url: webSocketUrl(url), webSocketImpl: WebSocket, connectionParams: { token }, retryAttempts: 0 });
  const events: Answer[] = [];
  try {
    return await new Promise<Answer[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event within 20 s: ${query}`)), 20_000);
      const finish = (error?: unknown) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(events);
      };
      const unsubscribe = client.subscribe(
        { query, variables },
        {
          next: (event) => {
            events.push(event as Answer);
            if (events.length >= max) {
              unsubscribe();
              finish();
            }
          },
          error: (error) => finish(Array.isArray(error) ? undefined : error),
          complete: () => finish(),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

interface Answer {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The strings of `secrets` that occur anywhere in `answer` (data and errors alike). */
const leaked = (answer: Answer, secrets: readonly string[]) => {
  const text = JSON.stringify(answer);
  return secrets.filter((secret) => text.includes(secret));
};

const codesOf = (answer: Answer) => (answer.errors ?? []).map((e) => e.extensions?.code);

/** Whether a root field's value is what a missing id answers: null, or a connection without edges. */
const isMissing = (value: unknown) =>
  value === null || (Array.isArray((value as { edges?: unknown[] }).edges) && !(value as { edges: [] }).edges.length);

describe.each(DATABASE_KINDS)('tenant isolation on %s', (kind) => {
  const schema = readSupergraph();
  let graph: Graph;
  let a: Tenant;
  let b: Tenant;
  let internalAuth: InternalAuth;

  beforeAll(async () => {
    // The walk selects every field to depth 6 in one operation: far over a partner's operation limits, which
    // operation-limits.test.ts tests. Here only what the resolvers let through counts.
    graph = await startGraph(kind, { env: { LIMIT_COST: '100000000', LIMIT_TOKENS: '100000', LIMIT_DEPTH: '50', LIMIT_ALIASES: '1000' } });
    a = await createTenant(graph, 'ALPHA', 'Alpenglow Tenant Health Plan', 3);
    b = await createTenant(graph, 'BRAVO', 'Bristlecone Tenant Health Plan', 2);
    internalAuth = await InternalAuth.fromEnv(graph.env, graph.dataDir);
    expect(a.dataLoadIds).toHaveLength(1);
  });
  afterAll(() => graph?.close());

  it('has a rule for every root field of the supergraph', () => {
    const missing = [
      ...rootFields(schema, 'Query')
        .filter((f) => !QUERY_RULES[f.name])
        .map((f) => `add an isolation rule for Query.${f.name}`),
      ...rootFields(schema, 'Mutation')
        .filter((f) => !MUTATION_RULES[f.name])
        .map((f) => `add an isolation rule for Mutation.${f.name}`),
      ...rootFields(schema, 'Subscription')
        .filter((f) => !SUBSCRIPTION_RULES[f.name])
        .map((f) => `add an isolation rule for Subscription.${f.name}`),
    ];
    expect(missing).toEqual([]);
  });

  it("answers partner B none of A's data from any root field, and A its own", async () => {
    const asB = await graph.as('partner', b.partnerId);
    const asA = await graph.as('partner', a.partnerId);
    const problems: string[] = [];
    for (const { name, field } of rootFields(schema, 'Query')) {
      for (const [rule, depth] of (QUERY_RULES[name] ?? []).flatMap((r) => DEPTHS.map((d) => [r, d] as const))) {
        const operation = rootOperation(schema, 'query', field, rule.args(a), depth);
        const { body } = await graph.post(asB, operation, rule.args(a));
        const label = `Query.${name}(${Object.keys(rule.args(a)).join(', ')}) to depth ${depth} as partner B`;
        const value = (body.data as Record<string, unknown> | null | undefined)?.[name];
        const leaks = leaked(body, secretsOf(a));
        if (leaks.length) problems.push(`${label} answered A's ${leaks.join(', ')}`);
        if (rule.partnerB === 'forbidden') {
          if (codesOf(body).join() !== 'FORBIDDEN') problems.push(`${label} answered ${JSON.stringify(body)}, not FORBIDDEN`);
        } else if (body.errors?.length) problems.push(`${label} failed: ${JSON.stringify(body.errors)}`);
        else if (rule.partnerB === 'missing' && !isMissing(value))
          problems.push(`${label} answered ${JSON.stringify(value)}, not as missing`);
        else if (rule.partnerB === 'own' && !leaked(body, secretsOf(b)).length) problems.push(`${label} answered none of B's own records`);
        if (rule.ownerSees && depth === DEPTHS[0]) {
          const own = await graph.post(asA, operation, rule.args(a));
          const unseen = rule.ownerSees(a).filter((expected) => !leaked(own.body, [expected]).length);
          if (own.body.errors?.length) problems.push(`Query.${name} as partner A failed: ${JSON.stringify(own.body.errors)}`);
          if (unseen.length) problems.push(`Query.${name} as partner A missed its own ${unseen.join(', ')}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("answers partner B's subscriptions to A's records as missing and its feeds without A's records, leaking nothing; A's own events hold them", async () => {
    const problems: string[] = [];
    const [tokenA, tokenB] = [await graph.token('partner', a.partnerId), await graph.token('partner', b.partnerId)];
    for (const { name, field } of rootFields(schema, 'Subscription')) {
      const rule = SUBSCRIPTION_RULES[name];
      if (!rule) continue; // reported by the rules test
      if ('publish' in rule) {
        for (const depth of DEPTHS) problems.push(...(await feedProblems(name, field, rule, depth, tokenA, tokenB)));
        continue;
      }
      for (const depth of DEPTHS) {
        const operation = rootOperation(schema, 'subscription', field, rule.args(a), depth);
        const label = `Subscription.${name} to depth ${depth}`;
        const asB = await subscriptionEvents(graph.url, tokenB, operation, rule.args(a));
        // The id B sent may come back in the error naming it ("No backfill …"); nothing else of A's may.
        const sent = new Set(Object.values(rule.args(a)));
        const leaks = asB.flatMap((event) =>
          leaked(
            event,
            secretsOf(a).filter((secret) => !sent.has(secret)),
          ),
        );
        if (leaks.length) problems.push(`${label} as partner B answered A's ${leaks.join(', ')}`);
        if (asB.length !== 1 || codesOf(asB[0]).join() !== 'NOT_FOUND')
          problems.push(`${label} as partner B answered ${JSON.stringify(asB)}, not as missing`);
        if (depth !== DEPTHS[0]) continue;
        const [own] = await subscriptionEvents(graph.url, tokenA, operation, rule.args(a));
        const unseen = rule.ownerSees(a).filter((expected) => !leaked(own ?? {}, [expected]).length);
        if (own?.errors?.length) problems.push(`${label} as partner A failed: ${JSON.stringify(own.errors)}`);
        if (unseen.length) problems.push(`${label} as partner A missed its own ${unseen.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  /**
   * A feed subscribed to by A and B. B's subscription is shown live (its own record arrives) before A's record
   * goes out, and B's own record is published again after A has received its one: by then anything of A's
   * sent to B would have arrived before it. Publishing repeats until the event comes (a subscription is
   * served only some moments after it is sent).
   */
  async function feedProblems(
    name: string,
    field: ReturnType<typeof rootFields>[number]['field'],
    rule: Extract<SubscriptionRule, { publish: unknown }>,
    depth: number,
    tokenA: string,
    tokenB: string,
  ): Promise<string[]> {
    const problems: string[] = [];
    const operation = rootOperation(schema, 'subscription', field, {}, depth);
    const label = `Subscription.${name} to depth ${depth}`;
    const [asA, asB] = [openSubscription(graph.url, tokenA, operation), openSubscription(graph.url, tokenB, operation)];
    const until = (what: string, tenant: Tenant, events: Answer[], count: number) =>
      eventually(
        what,
        async () => {
          if (events.length < count) await rule.publish(graph, tenant);
          return events.length >= count;
        },
        { deadlineMs: 20_000, intervalMs: 250 },
      );
    try {
      await until(`${label}: B's own first event`, b, asB.events, 1);
      await until(`${label}: A's own event`, a, asA.events, 1);
      const ownOfB = asB.events.length;
      await until(`${label}: B's own event after A's`, b, asB.events, ownOfB + 1);
      for (const event of [...asA.events, ...asB.events])
        if (event.errors?.length) problems.push(`${label} failed: ${JSON.stringify(event)}`);
      const leaks = asB.events.flatMap((event) => leaked(event, secretsOf(a)));
      if (leaks.length) problems.push(`${label} as partner B answered A's ${leaks.join(', ')}`);
      if (!asB.events.every((event) => leaked(event, [b.fileName]).length))
        problems.push(`${label} as partner B answered records not its own: ${JSON.stringify(asB.events)}`);
      if (depth === DEPTHS[0]) {
        const unseen = rule.ownerSees(a).filter((expected) => !leaked(asA.events[0] ?? {}, [expected]).length);
        if (unseen.length) problems.push(`${label} as partner A missed its own ${unseen.join(', ')}`);
      }
    } finally {
      await Promise.all([asA.close(), asB.close()]);
    }
    return problems;
  }

  it("resolves none of A's records from any subgraph's _entities for partner B; A and admin get them", async () => {
    const entities = resolvableEntities(schema);
    expect(entities.filter((e) => !ENTITY_RULES[e.type]).map((e) => `add an isolation rule for entity ${e.type} (${e.subgraph})`)).toEqual(
      [],
    );
    const call = async (identity: Identity, entity: (typeof entities)[number], depth: number) => {
      const sign = internalSigner(internalAuth, identity, entity.subgraph);
      const representations = [{ __typename: entity.type, id: ENTITY_RULES[entity.type].id(a) }];
      const { body } = await graph.post(
        { url: graph.subgraphs[entity.subgraph as keyof Graph['subgraphs']].url, sign },
        entitiesOperation(schema, entity, depth),
        { representations },
      );
      return body as Answer & { data?: { _entities: unknown[] } };
    };
    const problems: string[] = [];
    for (const [entity, depth] of entities.flatMap((e) => DEPTHS.map((d) => [e, d] as const))) {
      const label = `${entity.type} from ${entity.subgraph}'s _entities to depth ${depth}`;
      const rule = ENTITY_RULES[entity.type];
      const asB = await call({ subject: 'test-partner', role: 'partner', partnerId: b.partnerId }, entity, depth);
      const leaks = leaked(asB, secretsOf(a));
      if (leaks.length) problems.push(`${label} answered partner B A's ${leaks.join(', ')}`);
      if (asB.errors?.length || JSON.stringify(asB.data?._entities) !== '[null]')
        problems.push(`${label} answered partner B ${JSON.stringify(asB)}`);
      const resolved = (answer: typeof asB) =>
        !answer.errors?.length && (answer.data?._entities[0] as { id?: string } | null)?.id === rule.id(a);
      const asAdmin = await call({ subject: 'test-admin', role: 'admin' }, entity, depth);
      if (!resolved(asAdmin)) problems.push(`${label} answered admin ${JSON.stringify(asAdmin)}`);
      const asA = await call({ subject: 'test-partner', role: 'partner', partnerId: a.partnerId }, entity, depth);
      if (rule.ownerSees ? !resolved(asA) : JSON.stringify(asA) !== '{"data":{"_entities":[null]}}') {
        problems.push(`${label} answered partner A ${JSON.stringify(asA)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("refuses partner B every mutation with FORBIDDEN, naming nothing of A's, and changes nothing", async () => {
    const asB = await graph.as('partner', b.partnerId);
    const counts = async () => ({
      careRequests: await graph.subgraphs['care-requests'].database.client.careRequest.count(),
      dataLoads: await graph.subgraphs['care-requests'].database.client.dataLoad.findMany({ orderBy: { id: 'asc' } }),
      partners: await graph.subgraphs.partners.database.client.partner.count(),
      backfillRuns: await graph.subgraphs.partners.database.client.backfillRun.findMany({ orderBy: { backfillId: 'asc' } }),
      rosters: await graph.subgraphs['pop-health'].database.client.roster.count(),
      backfills: await graph.subgraphs['pop-health'].database.client.backfill.findMany({ orderBy: { id: 'asc' } }),
      careRequest: await graph.subgraphs['care-requests'].database.client.careRequest.findUnique({ where: { id: a.careRequestIds[0] } }),
      // B's refused calls are audited (gateway/test/audit.test.ts), but a record B forged is never stored.
      forgedAuditEvents: await graph.subgraphs['pop-health'].database.client.auditEvent.count({ where: { actorSubject: 'forged' } }),
    });
    const before = await counts();
    for (const { name, field } of rootFields(schema, 'Mutation')) {
      const args = MUTATION_RULES[name]?.(a);
      if (!args) continue; // reported by the rules test
      const { body } = await graph.post(asB, rootOperation(schema, 'mutation', field, args), args);
      const label = `Mutation.${name} as partner B`;
      expect({ label, codes: codesOf(body), leaked: leaked(body, secretsOf(a)) }).toEqual({ label, codes: ['FORBIDDEN'], leaked: [] });
    }
    expect(await counts()).toEqual(before);
  });
});
