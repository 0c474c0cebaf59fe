/**
 * Operation limits at the gateway (plugins/operation-limits.ts): each limit just under and just over, over HTTP,
 * graphql-ws and SSE alike; the error names the limit, its value and the operation's figure; a refused operation
 * never reaches a subgraph; the alias bomb and the deep roster ↔ member cycle are refused in milliseconds; introspection
 * only for the roles of INTROSPECTION_ROLES.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@care-graph/service-kit';
import { parse } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { type Graph, startGraph } from '../../scripts/in-process-graph';
import { DEFAULT_LIMITS, limitSettings, measureOperation } from '../src/plugins/operation-limits';
import { apiSchemaOf } from '../src/supergraph-source';

const apiSchema = apiSchemaOf(readFileSync(path.join(repoRoot, 'schema', 'supergraph.graphql'), 'utf8'));
const COST_MODEL = { defaultPageSize: 100, listSize: 10 };
const figures = (query: string, variables?: Record<string, unknown>) =>
  measureOperation(apiSchema, parse(query), undefined, variables, COST_MODEL);

/** Small partner limits, so each figure can be met exactly with a query that runs. */
const PARTNER_LIMITS = { TOKENS: 60, DEPTH: 6, ALIASES: 3, ROOT_FIELDS: 3, DIRECTIVES: 3, COST: 52 };

/** Queries whose figure for `name` is exactly `n` (and the others small). */
const shaped: Record<string, (n: number) => string> = {
  tokens: (n) => `{ partners(first: 1) { transactionTime${' __typename'.repeat(n - 11)} } }`,
  depth: (n) =>
    `{ partners(first: 1) { edges { node { associations(first: 1) { ${{ 6: 'edges { cursor }', 7: 'edges { node { id } }' }[n]} } } } } }`,
  aliases: (n) => `{ partners(first: 1) { ${Array.from({ length: n }, (_, i) => `t${i}: transactionTime`).join(' ')} } }`,
  rootFields: (n) =>
    `{ partners(first: 1) { transactionTime } ${Array.from({ length: n - 1 }, (_, i) => `p${i}: partner(id: "x") { id }`).join(' ')} }`,
  directives: (n) => `{ partners(first: 1) { ${'transactionTime @include(if: true) '.repeat(n)} } }`,
  cost: (n) => `{ partners(first: ${(n - 2) / 2}) { edges { node { id } } } }`,
};
const SETTING: Record<string, keyof typeof PARTNER_LIMITS> = {
  tokens: 'TOKENS',
  depth: 'DEPTH',
  aliases: 'ALIASES',
  rootFields: 'ROOT_FIELDS',
  directives: 'DIRECTIVES',
  cost: 'COST',
};

describe('operation limits', () => {
  let graph: Graph;
  let partnerToken: string;
  let subgraphCalls: string[];
  const realFetch = global.fetch;

  beforeAll(async () => {
    graph = await startGraph('pglite', {
      env: {
        ...Object.fromEntries(Object.entries(PARTNER_LIMITS).map(([k, v]) => [`LIMIT_${k}_PARTNER`, String(v)])),
        // As in production: partners read the published schema instead.
        INTROSPECTION_ROLES: 'admin,service',
      },
    });
    const { createPartner } = await graph.run('admin', (await import('@care-graph/operations')).CreatePartnerDocument, {
      input: { name: 'Limits Partner' },
    });
    partnerToken = await graph.token('partner', createPartner.id);
    // Every call the gateway makes to a subgraph goes through the global fetch.
    const subgraphUrls = Object.values(graph.subgraphs).map((s) => s.url);
    jest.spyOn(global, 'fetch').mockImplementation((input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (subgraphUrls.some((base) => url.startsWith(base))) subgraphCalls.push(url);
      return realFetch(input, init);
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await graph?.close();
  });
  beforeEach(() => {
    subgraphCalls = [];
  });

  const asPartner = (query: string) => graph.post({ url: graph.url, token: partnerToken }, query);

  it.each(Object.keys(shaped))(
    '%s: the limit itself passes, one more is refused with its value and figure, before any subgraph call',
    async (name) => {
      const limit = PARTNER_LIMITS[SETTING[name]];
      const atLimit = shaped[name](limit);
      const over = shaped[name](name === 'cost' ? limit + 2 : limit + 1);
      // The queries have the figures they were built for.
      expect(figures(atLimit)[name as 'cost']).toBe(limit);
      expect(figures(over)[name as 'cost']).toBe(name === 'cost' ? limit + 2 : limit + 1);

      const passed = await asPartner(atLimit);
      expect(passed.body.errors?.find((e) => e.extensions?.code === 'OPERATION_LIMIT_EXCEEDED')).toBeUndefined();
      expect(passed.status).toBe(200);

      subgraphCalls = [];
      const refused = await asPartner(over);
      expect(refused.status).toBe(400);
      expect(refused.body.data).toBeUndefined();
      expect(refused.body.errors).toHaveLength(1);
      const actual = name === 'cost' ? limit + 2 : limit + 1;
      expect(refused.body.errors![0]).toMatchObject({
        message: expect.stringContaining(`over the partner limit of ${limit} (LIMIT_${SETTING[name]}_PARTNER)`),
        extensions: { code: 'OPERATION_LIMIT_EXCEEDED', limit: name, max: limit, actual },
      });
      expect(refused.body.errors![0].message).toContain(String(actual));
      expect(subgraphCalls).toEqual([]);
    },
  );

  it('holds for admins at their own (default) limits, not the partner’s', async () => {
    const { body } = await graph.post(await graph.as('admin'), shaped.aliases(10));
    expect(body.errors).toBeUndefined();
    expect(DEFAULT_LIMITS.admin.aliases).toBeGreaterThanOrEqual(10);
  });

  it('counts `first` from variables, a connection without `first` at the default page size, other lists at COST_LIST_SIZE', () => {
    const pull = 'query($n: Int) { partners(first: $n) { edges { node { id name } } } }';
    expect(figures(pull, { n: 10 }).cost).toBe(2 + 10 * 3);
    expect(figures(pull, {}).cost).toBe(2 + 100 * 3);
    // Nested: every backfill of the page (5) has a roster with up to 10 rejected rows of 2 fields.
    expect(figures('{ backfills(first: 5) { edges { node { roster { rejectedRows { line reason } } } } } }').cost).toBe(
      2 + 5 * (1 + 1 + 1 + 10 * 2),
    );
  });

  it('refuses the alias bomb (5,000 aliases of a list field) and the deep roster ↔ member cycle in milliseconds, with no subgraph call', async () => {
    const defaults = await startGraph('pglite');
    try {
      const token = await defaults.token('partner', 'p-1');
      const bomb = `{ ${Array.from({ length: 5000 }, (_, i) => `a${i}: partners(first: 1000) { edges { node { id } } }`).join(' ')} }`;
      const cycle = `{ roster(id: "r") { ${'patients(first: 1000) { edges { node { roster { '.repeat(12)}id${' } } } }'.repeat(12)} } }`;
      for (const [what, query, limit] of [
        ['alias bomb', bomb, 'tokens'],
        ['roster cycle', cycle, 'depth'],
      ] as const) {
        subgraphCalls = [];
        const started = performance.now();
        const { status, body } = await defaults.post({ url: defaults.url, token }, query);
        const ms = performance.now() - started;
        expect({ what, status, code: body.errors?.[0]?.extensions?.code, limit: body.errors?.[0]?.extensions?.limit }).toEqual({
          what,
          status: 400,
          code: 'OPERATION_LIMIT_EXCEEDED',
          limit,
        });
        expect(subgraphCalls).toEqual([]);
        // Milliseconds, not the seconds these took before the limits (11.6 s for the bomb); generous for a loaded CI.
        expect(ms).toBeLessThan(1_000);
      }
      // Below the token cap, the bomb is still refused: by its aliases.
      const smallBomb = `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: partners(first: 1000) { transactionTime }`).join(' ')} }`;
      const { body } = await defaults.post({ url: defaults.url, token }, smallBomb);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'aliases', max: 20, actual: 200 });
    } finally {
      await defaults.close();
    }
  });

  it('holds over graphql-ws and SSE as over HTTP', async () => {
    // Seven levels: backfillProgress, backfill, partner, associations, edges, node, id.
    const over =
      'subscription { backfillProgress(backfillId: "b") { backfill { partner { associations(first: 1) { edges { node { id } } } } } } }';
    expect(figures(over).depth).toBe(PARTNER_LIMITS.DEPTH + 1);
    const client = createClient({
      url: graph.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${partnerToken}` },
    });
    try {
      const error = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: over }, { next: () => {}, error: resolve, complete: () => resolve('completed') });
      });
      expect(error).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'depth' }) }),
      ]);
    } finally {
      await client.dispose();
    }
    const sse = await realFetch(graph.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: over }),
    });
    expect(sse.status).toBe(400);
    expect(((await sse.json()) as { errors: { extensions: unknown }[] }).errors[0].extensions).toMatchObject({
      code: 'OPERATION_LIMIT_EXCEEDED',
      limit: 'depth',
    });
  });

  it('lets the roles of INTROSPECTION_ROLES introspect, and refuses the others with FORBIDDEN pointing at schema/api.graphql', async () => {
    const introspection = '{ __schema { queryType { name } } }';
    const partner = await asPartner(introspection);
    expect(partner.status).toBe(403);
    expect(partner.body.errors).toEqual([
      expect.objectContaining({
        message:
          'Introspection is off for partner tokens here (INTROSPECTION_ROLES): generate your client from the published schema, schema/api.graphql.',
        extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
      }),
    ]);
    expect((await asPartner('{ __type(name: "Partner") { name } }')).status).toBe(403);
    // __typename is not introspection.
    expect((await asPartner('{ partners(first: 1) { __typename } }')).body.errors).toBeUndefined();
    const admin = await graph.post(await graph.as('admin'), introspection);
    expect(admin.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });

    // The defaults: every role in embedded mode, admin and service in production.
    expect([...limitSettings({ CARE_GRAPH_MODE: 'embedded' }).introspectionRoles]).toEqual(['admin', 'partner', 'service']);
    expect([...limitSettings({ CARE_GRAPH_MODE: 'production' }).introspectionRoles]).toEqual(['admin', 'service']);
    expect([...limitSettings({ CARE_GRAPH_MODE: 'production', INTROSPECTION_ROLES: '' }).introspectionRoles]).toEqual([]);
    expect(() => limitSettings({ INTROSPECTION_ROLES: 'admin,everyone' })).toThrow(
      'INTROSPECTION_ROLES may name admin, partner, service (comma-separated, or empty for none); it is "admin,everyone".',
    );
  });

  it('names a malformed setting', () => {
    expect(() => limitSettings({ LIMIT_COST_PARTNER: 'lots' })).toThrow(
      'LIMIT_COST_PARTNER must be a whole number from 1 to 100000000; it is "lots".',
    );
    expect(limitSettings({ LIMIT_DEPTH: '9', LIMIT_DEPTH_ADMIN: '20' }).byRole).toMatchObject({
      partner: { depth: 9 },
      service: { depth: 9 },
      admin: { depth: 20 },
    });
  });
});
