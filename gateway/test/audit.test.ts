/**
 * The audit log (README, "Audit log"), through the real graph: each public write — the five public mutations and
 * a roster upload at POST /rosters — leaves one record with its actor, root fields, ids, outcome and request id;
 * refusals are DENIED (a partner's FORBIDDEN mutation, a refused token as `anonymous`); no record holds any PHI
 * the request carried; `auditEvents` is for admins, filters by `lastUpdated` and pages; old records are pruned.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AuditEventsDocument, type AuditEventsQuery } from '@care-graph/operations';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from '../../scripts/eventually';
import { type Graph, startGraph } from '../../scripts/in-process-graph';
import { auditRetentionDays, pruneAuditEvents } from '../../subgraphs/pop-health/src/audit-retention';
import { auditSettings, clientIpOf } from '../src/audit/audit-log';

const ROSTER_HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
/** The PHI one import and one roster carry: none of it may appear in any record. */
const PHI = { givenName: 'Auditgiven', familyName: 'Auditfamily', dateOfBirth: '1947-03-09', ssn: '514-26-7093' };

type AuditNode = AuditEventsQuery['auditEvents']['edges'][number]['node'];

describe('audit log', () => {
  let graph: Graph;
  let partnerId: string;
  let rosterId: string;

  beforeAll(async () => {
    // No runner: a started backfill stays where cancelBackfill can always stop it.
    // Two aliases at most for partner tokens: a third is OPERATION_LIMIT_EXCEEDED.
    graph = await startGraph('pglite', { env: { BACKFILL_RUNNER: 'off', LIMIT_ALIASES_PARTNER: '2' } });
  });
  afterAll(async () => {
    await graph?.close();
  });

  /** Posts `query` as `token` with request id `requestId`. */
  const send = (token: string | undefined, query: string, variables: unknown, requestId: string) =>
    graph.post({ url: graph.url, token, headers: { 'x-request-id': requestId } }, query, variables);

  /** The one record of request `requestId`, waited for (the record is stored before the response, but a deadline guards it). */
  const recordOf = async (requestId: string): Promise<AuditNode> => {
    const all = await eventually(`the audit record of ${requestId} is listed`, async () => {
      const nodes = (await allEvents()).filter((n) => n.requestId === requestId);
      return nodes.length ? nodes : null;
    });
    expect(all).toHaveLength(1);
    return all[0];
  };
  const allEvents = async (): Promise<AuditNode[]> => {
    const nodes: AuditNode[] = [];
    let after: string | null = null;
    for (;;) {
      const { auditEvents } = (await graph.run('admin', AuditEventsDocument, { first: 1000, after })) as AuditEventsQuery;
      nodes.push(...auditEvents.edges.map((e) => e.node));
      if (!auditEvents.pageInfo.hasNextPage) return nodes;
      after = auditEvents.pageInfo.endCursor;
    }
  };
  const noPhiIn = (record: AuditNode) => {
    const text = JSON.stringify(record);
    for (const value of Object.values(PHI)) expect(text).not.toContain(value);
    expect(text).not.toContain(PHI.ssn.replaceAll('-', ''));
  };

  it('records createPartner with the admin, its field and the new id', async () => {
    const requestId = `audit-${randomUUID()}`;
    // X-Forwarded-For is anyone's to send: without TRUST_PROXY=on it is not the client's address.
    const { body } = await graph.post(
      { url: graph.url, token: await graph.token('admin'), headers: { 'x-request-id': requestId, 'x-forwarded-for': '203.0.113.9' } },
      'mutation NewPartner($input: CreatePartnerInput!) { createPartner(input: $input) { id } }',
      { input: { name: 'Audit Partner' } },
    );
    partnerId = (body.data as { createPartner: { id: string } }).createPartner.id;
    const record = await recordOf(requestId);
    expect(record).toMatchObject({
      actor: { subject: 'test-admin', role: 'admin', partnerId: null },
      operationName: 'NewPartner',
      fields: ['createPartner'],
      ids: [partnerId],
      idsTotal: 1,
      outcome: 'SUCCESS',
      errorCodes: [],
      requestId,
      transport: 'http',
    });
    expect(record.clientIp).toMatch(/127\.0\.0\.1/);
    expect(JSON.stringify(record)).not.toContain('203.0.113.9');
    expect(Date.parse(record.at)).toBeLessThanOrEqual(Date.parse(record.meta.lastUpdated!) + 5_000);
  });

  it('records importCareRequests with the care-request and patient ids, and none of their PHI', async () => {
    const requestId = `audit-${randomUUID()}`;
    const records = ['cr-audit-1', 'cr-audit-2'].map((id, i) => ({
      id,
      createdAt: '2026-01-10T00:00:00.000Z',
      status: 'COMPLETED',
      patient: {
        id: `pt-audit-${i + 1}`,
        givenName: PHI.givenName,
        familyName: PHI.familyName,
        dateOfBirth: PHI.dateOfBirth,
        sex: 'F',
        ssn: PHI.ssn,
        address: { line1: '9 Audit Way', city: 'Denver', state: 'CO', postalCode: '80201' },
      },
    }));
    const { body } = await send(
      await graph.token('admin'),
      'mutation Load($records: [CareRequestImportInput!]!) { importCareRequests(records: $records) { received created } }',
      { records },
      requestId,
    );
    expect(body.errors).toBeUndefined();
    const record = await recordOf(requestId);
    expect(record).toMatchObject({ fields: ['importCareRequests'], outcome: 'SUCCESS', idsTotal: 4 });
    expect(record.ids).toEqual(['cr-audit-1', 'pt-audit-1', 'cr-audit-2', 'pt-audit-2']);
    noPhiIn(record);
    expect(JSON.stringify(record)).not.toContain('9 Audit Way');
  });

  it('caps the ids of a large import at 100 and counts them all', async () => {
    const requestId = `audit-${randomUUID()}`;
    const records = Array.from({ length: 150 }, (_, i) => ({
      id: `cr-bulk-${i}`,
      createdAt: '2026-01-10T00:00:00.000Z',
      status: 'COMPLETED',
      patient: { id: `pt-bulk-${i}`, givenName: PHI.givenName, familyName: PHI.familyName, dateOfBirth: PHI.dateOfBirth, sex: 'M' },
    }));
    await send(
      await graph.token('admin'),
      'mutation($records: [CareRequestImportInput!]!) { importCareRequests(records: $records) { received } }',
      { records },
      requestId,
    );
    const record = await recordOf(requestId);
    expect(record.ids).toHaveLength(100);
    expect(record.idsTotal).toBe(300);
    expect(record.operationName).toBeNull();
  });

  it('records ingestRoster with the partner and roster ids, never the file name or content', async () => {
    const requestId = `audit-${randomUUID()}`;
    const content = [ROSTER_HEADER, `AUD-1,${PHI.givenName},,${PHI.familyName},${PHI.dateOfBirth},F,${PHI.ssn},,,,`].join('\n');
    const { body } = await send(
      await graph.token('admin'),
      'mutation($input: IngestRosterInput!) { ingestRoster(input: $input) { id status } }',
      { input: { partnerId, kind: 'BACKFILL', fileName: 'audit-secret-file.csv', content } },
      requestId,
    );
    rosterId = (body.data as { ingestRoster: { id: string } }).ingestRoster.id;
    const record = await recordOf(requestId);
    expect(record).toMatchObject({ fields: ['ingestRoster'], ids: [partnerId, rosterId], outcome: 'SUCCESS' });
    noPhiIn(record);
    expect(JSON.stringify(record)).not.toContain('audit-secret-file');
  });

  it('records startBackfill and cancelBackfill with their ids', async () => {
    const token = await graph.token('admin');
    const startId = `audit-${randomUUID()}`;
    const { body } = await send(
      token,
      'mutation($input: StartBackfillInput!) { startBackfill(input: $input) { id } }',
      { input: { partnerId, rosterId, startDate: '2026-01-01', endDate: '2026-01-31' } },
      startId,
    );
    expect(body.errors).toBeUndefined();
    const backfillId = (body.data as { startBackfill: { id: string } }).startBackfill.id;
    expect(await recordOf(startId)).toMatchObject({
      fields: ['startBackfill'],
      ids: [partnerId, rosterId, backfillId],
      outcome: 'SUCCESS',
    });

    const cancelId = `audit-${randomUUID()}`;
    const cancelled = await send(token, 'mutation($id: ID!) { cancelBackfill(id: $id) { id status } }', { id: backfillId }, cancelId);
    expect(cancelled.body.errors).toBeUndefined();
    expect(await recordOf(cancelId)).toMatchObject({ fields: ['cancelBackfill'], ids: [backfillId], idsTotal: 1, outcome: 'SUCCESS' });
  });

  it('records a failed mutation as FAILED with its error code', async () => {
    const requestId = `audit-${randomUUID()}`;
    const { body } = await send(
      await graph.token('admin'),
      'mutation($id: ID!) { cancelBackfill(id: $id) { id } }',
      { id: 'no-such-backfill' },
      requestId,
    );
    const codes = body.errors!.map((e) => e.extensions?.code);
    const record = await recordOf(requestId);
    expect(record).toMatchObject({ outcome: 'FAILED', ids: ['no-such-backfill'] });
    expect(record.errorCodes).toEqual([...new Set(codes)]);
  });

  it('records a roster upload at POST /rosters', async () => {
    const requestId = `audit-${randomUUID()}`;
    const csv = [ROSTER_HEADER, `AUD-2,${PHI.givenName},,${PHI.familyName},${PHI.dateOfBirth},M,${PHI.ssn},,,,`].join('\n');
    const url = new URL('/rosters', graph.url);
    url.search = new URLSearchParams({ partnerId, kind: 'CURRENT', fileName: 'audit-upload.csv' }).toString();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${await graph.token('admin')}`, 'x-request-id': requestId },
      body: csv,
    });
    expect(response.status).toBe(201);
    const { roster } = (await response.json()) as { roster: { id: string } };
    const record = await recordOf(requestId);
    expect(record).toMatchObject({
      actor: { subject: 'test-admin', role: 'admin' },
      operationName: null,
      fields: ['ingestRoster'],
      ids: [partnerId, roster.id],
      outcome: 'SUCCESS',
      transport: 'rosters-upload',
    });
    noPhiIn(record);
    expect(JSON.stringify(record)).not.toContain('audit-upload');
  });

  it('records mutations sent over graphql-ws and SSE with their transport and client address', async () => {
    const token = await graph.token('admin');
    const client = createClient({
      url: graph.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        client.subscribe(
          { query: 'mutation OverWs { createPartner(input: { name: "Audit Ws" }) { id } }' },
          { next: resolve, error: reject, complete: () => {} },
        );
      });
      const id = (result as { data: { createPartner: { id: string } } }).data.createPartner.id;
      const [record] = await eventually('the graphql-ws mutation is recorded', async () => {
        const nodes = (await allEvents()).filter((n) => n.operationName === 'OverWs');
        return nodes.length ? nodes : null;
      });
      expect(record).toMatchObject({ transport: 'graphql-ws', ids: [id], outcome: 'SUCCESS', actor: { subject: 'test-admin' } });
      expect(record.clientIp).toMatch(/127\.0\.0\.1/);
    } finally {
      await client.dispose();
    }

    const requestId = `audit-${randomUUID()}`;
    const sse = await fetch(graph.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'x-request-id': requestId,
      },
      body: JSON.stringify({ query: 'mutation OverSse { createPartner(input: { name: "Audit Sse" }) { id } }' }),
    });
    expect(await sse.text()).toContain('createPartner');
    const record = await recordOf(requestId);
    expect(record).toMatchObject({ transport: 'sse', operationName: 'OverSse', outcome: 'SUCCESS' });
    expect(record.clientIp).toMatch(/127\.0\.0\.1/);
  });

  it('records mutations graphql-ws and SSE refuse before they run', async () => {
    const partnerToken = await graph.token('partner', partnerId);
    const client = createClient({
      url: graph.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${partnerToken}` },
    });
    try {
      const refused = await new Promise<unknown>((resolve) => {
        client.subscribe(
          {
            query:
              'mutation WsTooMany { a: cancelBackfill(id: "w-1") { id } b: cancelBackfill(id: "w-2") { id } c: cancelBackfill(id: "w-3") { id } }',
          },
          { next: () => {}, error: resolve, complete: () => resolve('completed') },
        );
      });
      expect(refused).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'OPERATION_LIMIT_EXCEEDED' }) })]);
      const [record] = await eventually('the refused graphql-ws mutation is recorded', async () => {
        const nodes = (await allEvents()).filter((n) => n.operationName === 'WsTooMany');
        return nodes.length ? nodes : null;
      });
      expect(record).toMatchObject({
        transport: 'graphql-ws',
        actor: { role: 'partner', partnerId },
        ids: ['w-1', 'w-2', 'w-3'],
        outcome: 'DENIED',
        errorCodes: ['OPERATION_LIMIT_EXCEEDED'],
      });
    } finally {
      await client.dispose();
    }

    const requestId = `audit-${randomUUID()}`;
    const sse = await fetch(graph.url, {
      method: 'POST',
      headers: {
        authorization: 'Bearer forged',
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'x-request-id': requestId,
      },
      body: JSON.stringify({ query: 'mutation SseForged($id: ID!) { cancelBackfill(id: $id) { id } }', variables: { id: 's-1' } }),
    });
    expect(sse.status).toBe(401);
    expect(await recordOf(requestId)).toMatchObject({
      transport: 'sse',
      actor: { subject: 'anonymous' },
      ids: ['s-1'],
      outcome: 'DENIED',
      errorCodes: ['UNAUTHENTICATED'],
    });
  });

  it("records a partner token's forbidden mutation as DENIED with FORBIDDEN", async () => {
    const requestId = `audit-${randomUUID()}`;
    const { body } = await send(
      await graph.token('partner', partnerId),
      'mutation Sneak($id: ID!) { cancelBackfill(id: $id) { id } }',
      { id: 'some-backfill' },
      requestId,
    );
    expect(body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await recordOf(requestId)).toMatchObject({
      actor: { subject: 'test-partner', role: 'partner', partnerId },
      operationName: 'Sneak',
      fields: ['cancelBackfill'],
      ids: ['some-backfill'],
      outcome: 'DENIED',
      errorCodes: ['FORBIDDEN'],
    });
  });

  it('records a mutation over the operation limits as DENIED, and one that does not validate as FAILED', async () => {
    const limited = `audit-${randomUUID()}`;
    const { body } = await send(
      await graph.token('partner', partnerId),
      'mutation Many { a: cancelBackfill(id: "b-1") { id } b: cancelBackfill(id: "b-2") { id } c: cancelBackfill(id: "b-3") { id } }',
      {},
      limited,
    );
    expect(body.errors?.[0].extensions?.code).toBe('OPERATION_LIMIT_EXCEEDED');
    expect(await recordOf(limited)).toMatchObject({
      fields: ['cancelBackfill', 'cancelBackfill', 'cancelBackfill'],
      ids: ['b-1', 'b-2', 'b-3'],
      outcome: 'DENIED',
      errorCodes: ['OPERATION_LIMIT_EXCEEDED'],
    });

    const invalid = `audit-${randomUUID()}`;
    await send(await graph.token('admin'), 'mutation Typo { createPartnr(input: { name: "x" }) { id } }', {}, invalid);
    expect(await recordOf(invalid)).toMatchObject({
      operationName: 'Typo',
      fields: ['createPartnr'],
      outcome: 'FAILED',
      errorCodes: ['GRAPHQL_VALIDATION_FAILED'],
    });
  });

  it('records a mutation with a refused token as anonymous and DENIED', async () => {
    const requestId = `audit-${randomUUID()}`;
    const { status } = await send(
      'not-a-token',
      'mutation Forged($input: CreatePartnerInput!) { createPartner(input: $input) { id } }',
      { input: { name: PHI.familyName } },
      requestId,
    );
    expect(status).toBe(401);
    const record = await recordOf(requestId);
    expect(record).toMatchObject({
      actor: { subject: 'anonymous', role: 'anonymous', partnerId: null },
      operationName: 'Forged',
      fields: ['createPartner'],
      outcome: 'DENIED',
      errorCodes: ['UNAUTHENTICATED'],
    });
    noPhiIn(record);
  });

  it('records no query', async () => {
    const requestId = `audit-${randomUUID()}`;
    await send(await graph.token('admin'), '{ partners(first: 1) { transactionTime } }', {}, requestId);
    // The next mutation's record is listed after it: had the query been recorded, it would be listed too.
    const marker = `audit-${randomUUID()}`;
    await send(await graph.token('admin'), 'mutation { createPartner(input: { name: "Audit Marker" }) { id } }', {}, marker);
    await recordOf(marker);
    expect((await allEvents()).filter((n) => n.requestId === requestId)).toEqual([]);
  });

  it('answers auditEvents only to admins', async () => {
    for (const role of ['partner', 'service'] as const) {
      const token = await graph.token(role, role === 'partner' ? partnerId : undefined);
      const { body } = await graph.post({ url: graph.url, token }, '{ auditEvents { edges { node { id } } } }');
      expect(body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(body.data ?? null).toBeNull();
    }
  });

  it('filters by lastUpdated, actor, operation and outcome, and pages without a gap or a repeat', async () => {
    const all = await allEvents();
    expect(all.length).toBeGreaterThanOrEqual(10);
    const { auditEvents: first } = await graph.run('admin', AuditEventsDocument, { first: 1 });
    // A pull after the watermark sees only what was recorded since.
    const since = first.transactionTime;
    const requestId = `audit-${randomUUID()}`;
    await send(await graph.token('admin'), 'mutation { createPartner(input: { name: "Audit Later" }) { id } }', {}, requestId);
    await recordOf(requestId);
    const { auditEvents: later } = await graph.run('admin', AuditEventsDocument, { lastUpdated: { gt: since } });
    expect(later.edges.map((e) => e.node.requestId)).toEqual([requestId]);

    const pages: string[] = [];
    let after: string | null = null;
    do {
      const { auditEvents } = (await graph.run('admin', AuditEventsDocument, { first: 3, after })) as AuditEventsQuery;
      pages.push(...auditEvents.edges.map((e) => e.node.id));
      after = auditEvents.pageInfo.hasNextPage ? auditEvents.pageInfo.endCursor : null;
    } while (after);
    expect(pages).toEqual((await allEvents()).map((n) => n.id));
    expect(new Set(pages).size).toBe(pages.length);

    const run = (variables: Parameters<typeof graph.run<AuditEventsQuery, object>>[2]) =>
      graph.run('admin', AuditEventsDocument, { first: 1000, ...variables }).then((r) => r.auditEvents.edges.map((e) => e.node));
    expect((await run({ outcome: 'DENIED' })).map((n) => n.errorCodes)).toEqual([
      ['OPERATION_LIMIT_EXCEEDED'],
      ['UNAUTHENTICATED'],
      ['FORBIDDEN'],
      ['OPERATION_LIMIT_EXCEEDED'],
      ['UNAUTHENTICATED'],
    ]);
    expect((await run({ actor: 'anonymous' })).map((n) => n.operationName)).toEqual(['SseForged', 'Forged']);
    const ingestions = await run({ operation: 'ingestRoster' });
    expect(ingestions.map((n) => n.transport).sort()).toEqual(['http', 'rosters-upload']);
    expect((await run({ operation: 'Sneak' })).map((n) => n.fields)).toEqual([['cancelBackfill']]);
    const { body } = await graph.post(
      { url: graph.url, token: await graph.token('admin') },
      '{ auditEvents(lastUpdated: { gt: "nonsense" }) { transactionTime } }',
    );
    expect(body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('prunes records older than the retention setting', async () => {
    const popHealth = graph.subgraphs['pop-health'].database.client;
    const base = { actorSubject: 'old', actorRole: 'admin', fields: ['createPartner'], ids: [], idsTotal: 0, errorCodes: [] };
    const row = (id: string, daysAgo: number) => ({
      ...base,
      id,
      lastUpdated: new Date(Date.parse('2026-06-01T00:00:00Z') - daysAgo * 86_400_000),
      occurredAt: new Date(Date.parse('2026-06-01T00:00:00Z') - daysAgo * 86_400_000),
      outcome: 'SUCCESS' as const,
      requestId: id,
      transport: 'http',
    });
    await popHealth.auditEvent.createMany({ data: [row('prune-old', 31), row('prune-kept', 29)] });
    const removed = await pruneAuditEvents(popHealth, 30, new Date('2026-06-01T00:00:00Z'));
    expect(removed).toBe(1);
    const left = await popHealth.auditEvent.findMany({ where: { id: { in: ['prune-old', 'prune-kept'] } }, select: { id: true } });
    expect(left).toEqual([{ id: 'prune-kept' }]);
    await popHealth.auditEvent.deleteMany({ where: { id: 'prune-kept' } });

    expect(auditRetentionDays({})).toBe(2190);
    expect(auditRetentionDays({ AUDIT_RETENTION_DAYS: '365' })).toBe(365);
    for (const bad of ['0', '-1', '1.5', 'forever'])
      expect(() => auditRetentionDays({ AUDIT_RETENTION_DAYS: bad })).toThrow(/AUDIT_RETENTION_DAYS must be a whole number from 1/);
  });

  it('keeps answering when pop-health cannot store the record, and stores it with the next one', async () => {
    const realFetch = global.fetch;
    const popHealthUrl = graph.subgraphs['pop-health'].url;
    // pop-health unreachable for the records (the client's own retries included) while `failing`.
    let failing = true;
    let refused = 0;
    const spy = jest.spyOn(global, 'fetch').mockImplementation(async (input, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      if (failing && String(input).startsWith(popHealthUrl) && body.includes('recordAuditEvents')) {
        refused += 1;
        throw new TypeError('fetch failed');
      }
      return realFetch(input, init);
    });
    try {
      const lost = `audit-${randomUUID()}`;
      const { body } = await send(
        await graph.token('admin'),
        'mutation { createPartner(input: { name: "Audit Retry" }) { id } }',
        {},
        lost,
      );
      expect(body.errors).toBeUndefined();
      expect(refused).toBeGreaterThan(0);
      expect((await allEvents()).filter((n) => n.requestId === lost)).toEqual([]);
      failing = false;
      const next = `audit-${randomUUID()}`;
      await send(await graph.token('admin'), 'mutation { createPartner(input: { name: "Audit Retry 2" }) { id } }', {}, next);
      await recordOf(next);
      expect((await recordOf(lost)).fields).toEqual(['createPartner']);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('the client address of an audit record', () => {
  const request = (remoteAddress: string, forwarded?: string) =>
    ({ socket: { remoteAddress }, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} }) as unknown as IncomingMessage;

  it("is the socket's peer unless TRUST_PROXY is on, then the first X-Forwarded-For address", () => {
    expect(clientIpOf(request('10.0.0.5', '203.0.113.9, 10.0.0.1'), false)).toBe('10.0.0.5');
    expect(clientIpOf(request('10.0.0.5', '203.0.113.9, 10.0.0.1'), true)).toBe('203.0.113.9');
    expect(clientIpOf(request('10.0.0.5', '2001:db8::7'), true)).toBe('2001:db8::7');
    // Not an address: the peer is kept rather than the header's text.
    expect(clientIpOf(request('10.0.0.5', 'Ann Lee <ann@example.org>'), true)).toBe('10.0.0.5');
    expect(clientIpOf(request('10.0.0.5'), true)).toBe('10.0.0.5');
  });

  it('TRUST_PROXY is on or off, off by default', () => {
    expect(auditSettings({}).trustProxy).toBe(false);
    expect(auditSettings({ TRUST_PROXY: 'on' }).trustProxy).toBe(true);
    expect(() => auditSettings({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY must be on or off/);
  });
});
