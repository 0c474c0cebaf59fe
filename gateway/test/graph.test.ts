/**
 * The federated graph end to end: real subgraphs and gateway, queried over HTTP like a client would,
 * on PGlite and (in CI) on PostgreSQL.
 */
import {
  BackfillOverviewDocument,
  CareRequestDocument,
  type CareRequestImportInput,
  CareRequestsDocument,
  CreatePartnerDocument,
  ImportCareRequestsDocument,
  PartnerAssociationsDocument,
  PartnersDocument,
} from '@care-graph/operations';
import { DATABASE_KINDS, type Graph, startGraph } from '../../scripts/in-process-graph';

const record = (i: number, overrides: Partial<CareRequestImportInput> = {}): CareRequestImportInput => ({
  id: `cr-${i}`,
  createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
  status: 'COMPLETED',
  lastUpdated: new Date(Date.UTC(2026, 0, 2) + i * 60_000).toISOString(),
  patient: {
    id: `pt-${i}`,
    givenName: 'Ann',
    familyName: `Lee${i}`,
    dateOfBirth: '1950-06-05',
    sex: 'F',
    ssn: '123456780',
    memberId: `M${i}`,
  },
  ...overrides,
});

describe.each(DATABASE_KINDS)('the graph on %s', (kind) => {
  let graph: Graph;
  let partnerId: string;

  beforeAll(async () => {
    graph = await startGraph(kind);
    ({
      createPartner: { id: partnerId },
    } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Front Range Health Plan' } }));
    const records = Array.from({ length: 120 }, (_, i) => record(i));
    const { importCareRequests } = await graph.run('admin', ImportCareRequestsDocument, { records });
    expect(importCareRequests).toEqual({ received: 120, created: 120, updated: 0, rejected: [] });
    // Associations are written by backfills (a later feature); here they are put in place directly.
    await graph.subgraphs.partners.database.client.partnerAssociation.createMany({
      data: records.slice(0, 100).map((r, i) => ({
        partnerId,
        careRequestId: r.id,
        source: 'BACKFILL' as const,
        lastUpdated: new Date(Date.UTC(2026, 1, 1) + i),
      })),
    });
  });
  afterAll(() => graph?.close());

  it('answers a query that spans all three subgraphs', async () => {
    const popHealth = graph.subgraphs['pop-health'].database.client;
    const roster = await popHealth.roster.create({
      data: { partnerId, kind: 'BACKFILL', fileName: 'roster.csv', contentHash: 'x', status: 'READY', lastUpdated: new Date() },
    });
    await popHealth.backfill.create({
      data: {
        partnerId,
        rosterId: roster.id,
        startDate: new Date('2026-01-01'),
        endDate: new Date('2026-01-31'),
        status: 'COMPLETED',
        lastUpdated: new Date(),
      },
    });
    const { backfills } = await graph.run('admin', BackfillOverviewDocument, { partnerId, first: 5 });
    expect(backfills.edges).toHaveLength(1);
    const backfill = backfills.edges[0].node;
    expect(backfill).toMatchObject({
      status: 'COMPLETED',
      startDate: '2026-01-01',
      endDate: '2026-01-31',
      roster: { fileName: 'roster.csv', kind: 'BACKFILL' },
    });
    expect(backfill.partner.name).toBe('Front Range Health Plan'); // partners subgraph
    expect(backfill.partner.associations.edges).toHaveLength(10);
    expect(backfill.partner.associations.edges[0].node.careRequest).toEqual({
      id: 'cr-0',
      createdAt: '2026-01-01T00:00:00.000Z',
      patient: { familyName: 'Lee0' }, // care-requests subgraph
    });
  });

  /** Queries each subgraph ran for a pull of `first` associations with their care requests and patients. */
  const queriesOfPull = async (role: 'admin' | 'partner', first: number) => {
    const before = Object.fromEntries(Object.values(graph.subgraphs).map((s) => [s.name, s.database.queryCount()]));
    const { partner } = await graph.run(role === 'admin' ? 'admin' : await graph.as('partner', partnerId), PartnerAssociationsDocument, {
      id: partnerId,
      first,
    });
    expect(partner!.associations.edges).toHaveLength(first);
    for (const { node } of partner!.associations.edges) expect(node.careRequest.patient.familyName).toMatch(/^Lee\d+$/);
    return Object.fromEntries(Object.values(graph.subgraphs).map((s) => [s.name, s.database.queryCount() - before[s.name]]));
  };

  it('resolves 100 associations with their care requests and patients in a constant number of queries per subgraph', async () => {
    const ten = await queriesOfPull('admin', 10);
    const hundred = await queriesOfPull('admin', 100);
    expect(hundred).toEqual(ten);
    // partners: the watermark (2), the partner and one page of associations; care-requests: care
    // requests, then patients.
    expect(hundred.partners).toBeLessThanOrEqual(4);
    expect(hundred['care-requests']).toBeLessThanOrEqual(2);
    expect(hundred['pop-health']).toBe(0);
  });

  it("checks a partner token's care requests against its associations in one batch, however many it pulls", async () => {
    const ten = await queriesOfPull('partner', 10);
    const hundred = await queriesOfPull('partner', 100);
    expect(hundred).toEqual(ten);
    // partners: what the admin pull costs, and one associatedCareRequestIds for all 100 care requests.
    expect(hundred.partners).toBe((await queriesOfPull('admin', 100)).partners + 1);
  });

  it('batches nested connections across parents: one query for the associations of every partner', async () => {
    const partners = graph.subgraphs.partners;
    for (let p = 0; p < 4; p += 1) {
      const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name: `Nested ${p}` } });
      await partners.database.client.partnerAssociation.createMany({
        data: [0, 1, 2].map((i) => ({
          partnerId: createPartner.id,
          careRequestId: `cr-${100 + p * 3 + i}`,
          source: 'MANUAL' as const,
          lastUpdated: new Date(),
        })),
      });
    }
    const query = (first: number) => `{ partners(first: ${first}) { edges { node { name associations(first: 2) {
      edges { node { careRequest { id } } } pageInfo { hasNextPage } } } } } }`;
    const run = async (first: number) => {
      const before = partners.database.queryCount();
      const { body } = await graph.post(await graph.as('admin'), query(first));
      expect(body.errors).toBeUndefined();
      return {
        queries: partners.database.queryCount() - before,
        data: body.data as {
          partners: { edges: { node: { name: string; associations: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } } }[] };
        },
      };
    };
    const two = await run(2);
    const all = await run(100);
    expect(all.data.partners.edges.length).toBeGreaterThanOrEqual(5);
    expect(all.queries).toBe(two.queries);
    expect(all.queries).toBeLessThanOrEqual(4); // watermark (2), the partners page, every partner's associations
    for (const { node } of all.data.partners.edges.filter((e) => e.node.name.startsWith('Nested'))) {
      expect(node.associations.edges).toHaveLength(2);
      expect(node.associations.pageInfo.hasNextPage).toBe(true);
    }
  });

  it("pages through one partner's associations with cursors", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const {
        partner,
      }: {
        partner: {
          associations: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
        } | null;
      } = await graph.run('admin', PartnerAssociationsDocument, { id: partnerId, first: 30, after });
      seen.push(...partner!.associations.edges.map((e) => e.node.id));
      if (!partner!.associations.pageInfo.hasNextPage) break;
      after = partner!.associations.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(100);
    expect(new Set(seen).size).toBe(100);
  });

  it('contributes partner associations to care requests and never returns a full SSN', async () => {
    const { careRequest } = await graph.run('admin', CareRequestDocument, { id: 'cr-3' });
    expect(careRequest!.partnerAssociations).toEqual([
      { id: expect.any(String), partner: { id: partnerId, name: 'Front Range Health Plan' } },
    ]);
    expect(careRequest!.patient.ssnLast4).toBe('6780');
    const raw = await graph.post(await graph.as('admin'), '{ careRequest(id: "cr-3") { patient { ssn } } }');
    expect(raw.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(raw.body)).not.toContain('123456780');
  });

  it('pages through care requests with cursors, without skipping or repeating', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const {
        careRequests,
      }: { careRequests: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
        await graph.run('admin', CareRequestsDocument, { first: 25, after });
      seen.push(...careRequests.edges.map((e) => e.node.id));
      after = careRequests.pageInfo.hasNextPage ? careRequests.pageInfo.endCursor : null;
      pages += 1;
    } while (after && pages < 20);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(120);
  });

  it('filters care requests by creation window (from inclusive, until exclusive)', async () => {
    const { careRequests } = await graph.run('admin', CareRequestsDocument, {
      createdAt: { from: '2026-01-01T00:10:00Z', until: '2026-01-01T00:20:00Z' },
      first: 100,
    });
    expect(careRequests.edges.map((e) => e.node.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `cr-${i + 10}`).sort());
  });

  it('rejects a malformed cursor and an oversized page with BAD_USER_INPUT', async () => {
    const admin = await graph.as('admin');
    const bad = await graph.post(admin, '{ careRequests(after: "garbage") { edges { cursor } } }');
    expect(bad.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const big = await graph.post(admin, '{ careRequests(first: 5000) { edges { cursor } } }');
    expect(big.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('1000') });
  });

  it('accepts a cursor only in the list (and filter, and window) it came from', async () => {
    const admin = await graph.as('admin');
    const cursorOf = async (query: string) => {
      const { body } = await graph.post(admin, query);
      const list = Object.values(body.data as Record<string, { pageInfo: { endCursor: string } }>)[0];
      return list.pageInfo.endCursor;
    };
    const fromPartners = await cursorOf('{ partners(first: 1) { pageInfo { endCursor } } }');
    const fromCareRequests = await cursorOf('{ careRequests(first: 1) { pageInfo { endCursor } } }');
    const fromWindow = await cursorOf('{ careRequests(first: 1, createdAt: { from: "2026-01-01T00:00:00Z" }) { pageInfo { endCursor } } }');
    const fromFilter = await cursorOf('{ careRequests(first: 1, lastUpdated: { ge: "2000" }) { pageInfo { endCursor } } }');
    const next = (after: string, args = '') =>
      graph.post(admin, `{ careRequests(first: 1, after: "${after}"${args}) { edges { cursor } } }`);
    // Its own list takes it, page after page.
    expect((await next(fromCareRequests)).body.errors).toBeUndefined();
    expect((await next(fromFilter, ', lastUpdated: { ge: "2000" }')).body.errors).toBeUndefined();
    for (const [cursor, args] of [
      [fromPartners, ''],
      [fromWindow, ''],
      [fromFilter, ''],
      [fromCareRequests, ', lastUpdated: { ge: "2000" }'],
    ]) {
      const { body } = await next(cursor, args);
      expect(body.errors?.map((e) => [e.extensions?.code, e.extensions?.argument])).toEqual([['BAD_USER_INPUT', 'after']]);
    }
  });

  it('refuses a duplicate partner name with CONFLICT', async () => {
    const response = await graph.post(
      await graph.as('admin'),
      'mutation { createPartner(input: { name: "Front Range Health Plan" }) { id } }',
    );
    expect(response.body.errors?.[0]).toMatchObject({
      extensions: { code: 'CONFLICT' },
      message: expect.stringContaining('already exists'),
    });
  });

  it('shows a partner token only its own partner', async () => {
    const other = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Rocky Mountain ACO' } });
    const own = await graph.as('partner', partnerId);
    const { partners } = await graph.run(own, PartnersDocument, {});
    expect(partners.edges.map((e) => e.node.id)).toEqual([partnerId]);
    // Another partner answers as a missing one: no error that would tell the id exists.
    const response = await graph.post(own, `{ partner(id: "${other.createPartner.id}") { name } }`);
    expect(response.body).toEqual({ data: { partner: null } });
    const loads = await graph.post(own, '{ dataLoads { edges { node { source } } } }');
    expect(loads.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(loads.body)).not.toContain(other.createPartner.id);
  });

  it('reports health and readiness', async () => {
    const base = graph.url.replace('/graphql', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: { name: string }[] }).checks.map((c: { name: string }) => c.name).sort()).toEqual([
      'care-requests',
      'partners',
      'pop-health',
      'supergraph',
    ]);
    for (const subgraph of Object.values(graph.subgraphs)) {
      expect((await fetch(subgraph.url.replace('/graphql', '/readyz'))).status).toBe(200);
    }
  });
});
