/**
 * Replayed and forged internal tokens, through real running subgraphs: a recording proxy stands between a
 * second gateway and the partners and pop-health subgraphs, so the test holds exactly the headers and bodies
 * the gateway sent, and sends them again, changed or not, straight to the subgraph.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreatePartnerDocument } from '@care-graph/operations';
import { IDENTITY_HEADER, InternalAuth, internalSigner, REQUEST_ID_HEADER } from '@care-graph/service-kit';
import { WebSocket } from 'ws';
import { type Graph, startGraph } from '../../scripts/in-process-graph';
import { type RunningGateway, startGateway } from '../src/gateway';

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** An HTTP proxy to `target` (a subgraph's origin) that records every request it forwards. */
async function recordingProxy(target: string) {
  const recorded: Recorded[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    recorded.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    // Hop-by-hop headers stay here; the body goes on whole (fetch sets its length).
    const { host: _h, connection: _c, 'content-length': _l, 'transfer-encoding': _t, 'keep-alive': _k, ...headers } = req.headers;
    try {
      const answer = await fetch(new URL(req.url!, target), {
        method: req.method,
        headers: headers as Record<string, string>,
        body: body.length ? body : undefined,
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: String(error) }] }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/graphql`,
    recorded,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Sends `headers` and `body` straight to `url` (a subgraph), as someone holding a captured header would. */
async function sendStraight(url: string, headers: Record<string, string>, body: string | Buffer) {
  const response = await fetch(url, { method: 'POST', headers, body });
  const answer = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: response.status, answer };
}

/** The captured request's own headers that a replay carries: its identity, request id and content type. */
const replayHeaders = (request: Recorded) => ({
  'content-type': String(request.headers['content-type']),
  [IDENTITY_HEADER]: String(request.headers[IDENTITY_HEADER]),
  [REQUEST_ID_HEADER]: String(request.headers[REQUEST_ID_HEADER]),
});

/** What the subgraph at `httpUrl` answers a graphql-ws connection_init carrying `payload`: acknowledged, or closed with a code. */
function connectionInit(httpUrl: string, payload: Record<string, string>): Promise<'ack' | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(httpUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const timer = setTimeout(() => reject(new Error('no answer to connection_init within 10 s')), 10_000);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        clearTimeout(timer);
        resolve('ack');
        socket.close();
      }
    });
    socket.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    socket.on('error', reject);
  });
}

describe('internal identity tokens are bound to their call', () => {
  let graph: Graph;
  let gateway: RunningGateway;
  let partners: Awaited<ReturnType<typeof recordingProxy>>;
  let popHealth: Awaited<ReturnType<typeof recordingProxy>>;
  let internalAuth: InternalAuth;

  beforeAll(async () => {
    graph = await startGraph();
    internalAuth = new InternalAuth(new TextEncoder().encode(graph.env.INTERNAL_AUTH_SECRET!));
    partners = await recordingProxy(graph.subgraphs.partners.url);
    popHealth = await recordingProxy(graph.subgraphs['pop-health'].url);
    gateway = await startGateway({
      port: 0,
      host: '127.0.0.1',
      dataDir: graph.dataDir,
      env: graph.env,
      subgraphUrls: {
        ...Object.fromEntries(Object.values(graph.subgraphs).map((s) => [s.name, s.url])),
        partners: partners.url,
        'pop-health': popHealth.url,
      },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await partners?.close();
    await popHealth?.close();
    await graph?.close();
  });

  /** Runs `query` as admin through the second gateway and returns the request it sent to partners. */
  const capturePartnersCall = async (query: string) => {
    const before = partners.recorded.length;
    const { status, body } = await graph.post({ url: gateway.url, token: await graph.token('admin') }, query);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const sent = partners.recorded.slice(before).filter((r) => r.url === '/graphql');
    expect(sent.length).toBeGreaterThan(0);
    return { sent: sent[0], data: body.data };
  };

  it('serves the graph as before, one token per subgraph fetch', async () => {
    const { data } = await capturePartnersCall('{ partners(first: 5) { edges { node { id } } transactionTime } }');
    expect(data).toMatchObject({ partners: { edges: expect.any(Array) } });
    const tokens = partners.recorded.map((r) => r.headers[IDENTITY_HEADER]);
    expect(tokens.every((token) => typeof token === 'string')).toBe(true);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('refuses the captured header replayed with the same body', async () => {
    const { sent } = await capturePartnersCall('{ partners(first: 1) { transactionTime } }');
    const { status, answer } = await sendStraight(graph.subgraphs.partners.url, replayHeaders(sent), sent.body);
    expect(status).toBe(401);
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0]).toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
      message: 'The x-care-graph-identity header was already used (replayed); each one is good for one call.',
    });
  });

  it('refuses the captured header with another body (another query, or the same query with other variables)', async () => {
    const { sent } = await capturePartnersCall('{ partners(first: 1) { transactionTime } }');
    const other = JSON.stringify({ query: '{ partners(first: 100) { edges { node { id name } } } }' });
    const { status, answer } = await sendStraight(graph.subgraphs.partners.url, replayHeaders(sent), other);
    expect(status).toBe(401);
    expect(answer.errors?.[0]).toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
      message: 'The x-care-graph-identity header was signed for another request body.',
    });
    const respaced = Buffer.concat([sent.body, Buffer.from(' ')]);
    expect((await sendStraight(graph.subgraphs.partners.url, replayHeaders(sent), respaced)).status).toBe(401);
  });

  it('refuses the captured header, unused, at another subgraph (each has its own replay cache; all serve /graphql)', async () => {
    const { sent } = await capturePartnersCall('{ partners(first: 1) { transactionTime } }');
    for (const other of ['care-requests', 'pop-health'] as const) {
      const { status, answer } = await sendStraight(graph.subgraphs[other].url, replayHeaders(sent), sent.body);
      expect(status).toBe(401);
      expect(answer.errors?.[0].message).toBe(
        `The x-care-graph-identity header was signed for a call to another service, not to ${other}.`,
      );
    }
  });

  it('refuses a token forged with another secret, though bound to the very request', async () => {
    const body = JSON.stringify({ query: '{ partners(first: 1) { transactionTime } }' });
    const url = graph.subgraphs.partners.url;
    const forged = internalSigner(
      new InternalAuth(new TextEncoder().encode('f'.repeat(64))),
      { subject: 'mallory', role: 'admin' },
      'partners',
    );
    const { status, answer } = await sendStraight(url, { 'content-type': 'application/json', ...(await forged(url, body)) }, body);
    expect(status).toBe(401);
    expect(answer.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringMatching(/not valid/) });
    // The same request signed with the real secret is served: the refusal was the forgery's.
    const genuine = internalSigner(internalAuth, { subject: 'test', role: 'service' }, 'partners');
    expect((await sendStraight(url, { 'content-type': 'application/json', ...(await genuine(url, body)) }, body)).status).toBe(200);
  });

  describe.each(['partners', 'pop-health', 'care-requests'] as const)('%s: _service and _entities', (name) => {
    const SERVICE = JSON.stringify({ query: '{ _service { sdl } }' });
    const ENTITIES = JSON.stringify({
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
      variables: { r: [{ __typename: 'Partner', id: 'p-1' }] },
    });

    it.each([
      ['_service', SERVICE],
      ['_entities', ENTITIES],
    ])('answer %s only to a signed call', async (_field, body) => {
      const { url } = graph.subgraphs[name];
      const unsigned = await sendStraight(url, { 'content-type': 'application/json' }, body);
      expect(unsigned.status).toBe(401);
      expect(unsigned.answer.data).toBeUndefined();
      expect(unsigned.answer.errors?.[0]).toMatchObject({
        extensions: { code: 'UNAUTHENTICATED' },
        message: expect.stringContaining('missing x-care-graph-identity header'),
      });
      const wsToken = await internalAuth.sign({ subject: 'test', role: 'service' }, 'r', { service: name, use: 'ws', target: '/graphql' });
      const asWs = await sendStraight(url, { 'content-type': 'application/json', [IDENTITY_HEADER]: wsToken }, body);
      expect(asWs.status).toBe(401);
      expect(asWs.answer.errors?.[0].message).toBe(
        'The x-care-graph-identity header was signed for a WebSocket connection, not for an HTTP request.',
      );
      const signed = internalSigner(internalAuth, { subject: 'test', role: 'service' }, name);
      const served = await sendStraight(url, { 'content-type': 'application/json', ...(await signed(url, body)) }, body);
      expect(served.status).toBe(200);
    });
  });

  it('binds the streamed roster upload to its query string and takes its header once', async () => {
    const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Replay Test Plan' } });
    const csv = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip\n';
    const query = `partnerId=${createPartner.id}&kind=CURRENT&fileName=replay.csv`;
    const before = popHealth.recorded.length;
    const response = await fetch(new URL(`/rosters?${query}`, gateway.url), {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${await graph.token('admin')}` },
      body: csv,
    });
    expect(response.status).toBe(201);
    const sent = popHealth.recorded.slice(before).find((r) => r.url.startsWith('/rosters'))!;
    expect(sent.url).toBe(`/rosters?${query}`);

    const direct = (path: string) =>
      sendStraight(new URL(path, graph.subgraphs['pop-health'].url).toString(), replayHeaders(sent), sent.body);
    const elsewhere = await direct(`/rosters?partnerId=${createPartner.id}&kind=BACKFILL&fileName=replay.csv`);
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.answer).toMatchObject({
      error: { code: 'UNAUTHENTICATED', message: 'The x-care-graph-identity header was signed for another request (method or path).' },
    });
    const replayed = await direct(sent.url);
    expect(replayed.status).toBe(401);
    expect(replayed.answer).toMatchObject({ error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('replayed') } });
  });

  describe('graphql-ws connection_init at a subgraph', () => {
    const ws = { service: 'partners', use: 'ws', target: '/graphql' } as const;
    const service = { subject: 'test', role: 'service' } as const;

    it('acknowledges a WebSocket token once, and closes with 4403 when it comes again', async () => {
      const token = await internalAuth.sign(service, 'r', ws);
      expect(await connectionInit(graph.subgraphs.partners.url, { [IDENTITY_HEADER]: token })).toBe('ack');
      expect(await connectionInit(graph.subgraphs.partners.url, { [IDENTITY_HEADER]: token })).toBe(4403);
    });

    it('refuses an HTTP token, and a forged WebSocket token, with 4403', async () => {
      const http = await internalAuth.sign(service, 'r', {
        service: 'partners',
        use: 'http',
        method: 'POST',
        target: '/graphql',
        body: '{}',
      });
      expect(await connectionInit(graph.subgraphs.partners.url, { [IDENTITY_HEADER]: http })).toBe(4403);
      const forged = await new InternalAuth(new TextEncoder().encode('f'.repeat(64))).sign(service, 'r', ws);
      expect(await connectionInit(graph.subgraphs.partners.url, { [IDENTITY_HEADER]: forged })).toBe(4403);
      expect(await connectionInit(graph.subgraphs.partners.url, {})).toBe(4403);
    });
  });
});
