import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { IDENTITY_HEADER, InternalAuth, REQUEST_ID_HEADER } from '../src/auth/tokens';
import { closeServer } from '../src/server/http-server';
import { ServiceCallError, serviceClient } from '../src/server/service-client';

const PartnerQuery = parse('query Partner($id: ID!) { partner(id: $id) { id } }') as TypedDocumentNode<
  { partner: { id: string } | null },
  { id: string }
>;
const FinishMutation = parse('mutation Finish($id: ID!) { finishDataLoad(id: $id) { id } }') as TypedDocumentNode<
  { finishDataLoad: { id: string } },
  { id: string }
>;

type Answer = { status: number; body?: unknown } | 'hang';

/** A stand-in service answering each request with the next of `answers` (the last one repeats). */
async function fakeService(answers: Answer[]) {
  const requests: { headers: http.IncomingHttpHeaders; text: string; body: { query: string; variables: unknown } }[] = [];
  const server = http.createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    requests.push({ headers: req.headers, text, body: JSON.parse(text) });
    const answer = answers[Math.min(requests.length, answers.length) - 1];
    if (answer === 'hang') return; // never answers; closeServer ends the connection
    res
      .writeHead(answer.status, { 'content-type': 'application/json' })
      .end(JSON.stringify(answer.body ?? { errors: [{ message: 'unavailable' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, requests, close: () => closeServer(server) };
}

const secret = new TextEncoder().encode(randomBytes(32).toString('hex'));
const auth = new InternalAuth(secret);
const ok = { status: 200, body: { data: { partner: { id: 'p1' }, finishDataLoad: { id: 'l1' } } } };
const unavailable = { status: 503 };

function clientOf(url: string, options: { timeoutMs?: number; attempts?: number } = {}) {
  return serviceClient({
    name: 'pop-health',
    internalAuth: auth,
    serviceUrl: () => url,
    timeoutMs: options.timeoutMs,
    retry: { attempts: options.attempts ?? 3, baseDelayMs: 5 },
  });
}

describe('the service client', () => {
  let service: Awaited<ReturnType<typeof fakeService>> | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('sends the typed document with its variables, the signed service identity and the request id', async () => {
    service = await fakeService([ok]);
    const data = await clientOf(service.url).forRequest('req-42')('partners', PartnerQuery, { id: 'p1' });
    expect(data.partner).toEqual({ id: 'p1' });
    const [{ headers, text, body }] = service.requests;
    expect(body).toEqual({ query: expect.stringContaining('partner(id: $id)'), variables: { id: 'p1' } });
    expect(headers[REQUEST_ID_HEADER]).toBe('req-42');
    expect(headers['content-type']).toBe('application/json');
    expect(
      await auth.verify(headers[IDENTITY_HEADER] as string, {
        service: 'partners',
        use: 'http',
        method: 'POST',
        target: '/graphql',
        body: text,
      }),
    ).toEqual({
      identity: { subject: 'pop-health', role: 'service' },
      requestId: 'req-42',
    });
  });

  it('gives work that no request started a request id of its own', async () => {
    service = await fakeService([ok]);
    const client = clientOf(service.url);
    await client.call('partners', PartnerQuery, { id: 'p1' });
    await client.call('partners', PartnerQuery, { id: 'p1' });
    const [first, second] = service.requests.map((r) => r.headers[REQUEST_ID_HEADER]);
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).not.toBe(first);
  });

  it('retries a query after 502, 503 and 504, with the same request id', async () => {
    service = await fakeService([{ status: 502 }, unavailable, { status: 504 }, ok]);
    const data = await clientOf(service.url, { attempts: 4 }).forRequest('req-1')('partners', PartnerQuery, { id: 'p1' });
    expect(data.partner).toEqual({ id: 'p1' });
    expect(service.requests).toHaveLength(4);
    expect(new Set(service.requests.map((r) => r.headers[REQUEST_ID_HEADER]))).toEqual(new Set(['req-1']));
  });

  it('signs every attempt anew, so that the callee, which takes a token once, accepts a retry', async () => {
    service = await fakeService([unavailable, unavailable, ok]);
    await clientOf(service.url).forRequest('req-2')('partners', PartnerQuery, { id: 'p1' });
    const tokens = service.requests.map((r) => r.headers[IDENTITY_HEADER] as string);
    expect(new Set(tokens).size).toBe(3);
    const callee = new InternalAuth(secret); // one replay cache, as one callee has
    for (const [i, token] of tokens.entries()) {
      const call = { service: 'partners', use: 'http', method: 'POST', target: '/graphql', body: service.requests[i].text } as const;
      await expect(callee.verify(token, call)).resolves.toMatchObject({ requestId: 'req-2' });
    }
  });

  it('gives up after the attempts allowed and says what the service answered', async () => {
    service = await fakeService([unavailable]);
    await expect(clientOf(service.url, { attempts: 3 }).call('partners', PartnerQuery, { id: 'p1' })).rejects.toMatchObject({
      name: 'ServiceCallError',
      service: 'partners',
      status: 503,
      message: 'partners answered 503: unavailable',
    });
    expect(service.requests).toHaveLength(3);
  });

  it('does not retry a mutation unless the caller marks it idempotent', async () => {
    service = await fakeService([unavailable, ok]);
    await expect(clientOf(service.url).call('care-requests', FinishMutation, { id: 'l1' })).rejects.toBeInstanceOf(ServiceCallError);
    expect(service.requests).toHaveLength(1);
    await service.close();

    service = await fakeService([unavailable, ok]);
    const data = await clientOf(service.url).call('care-requests', FinishMutation, { id: 'l1' }, { idempotent: true });
    expect(data.finishDataLoad).toEqual({ id: 'l1' });
    expect(service.requests).toHaveLength(2);
  });

  it.each([
    [
      'a GraphQL error',
      { status: 200, body: { errors: [{ message: 'No partner p9', extensions: { code: 'NOT_FOUND' } }] } },
      'partners answered 200: No partner p9',
    ],
    ['a 500', { status: 500, body: { errors: [{ message: 'boom' }] } }, 'partners answered 500: boom'],
    ['an answer without data', { status: 200, body: {} }, 'partners answered 200: no data'],
  ])('does not retry %s: the service answered', async (_label, answer, message) => {
    service = await fakeService([answer, ok]);
    await expect(clientOf(service.url).call('partners', PartnerQuery, { id: 'p9' })).rejects.toThrow(message);
    expect(service.requests).toHaveLength(1);
  });

  it('keeps the callee’s GraphQL errors on the error', async () => {
    service = await fakeService([{ status: 200, body: { errors: [{ message: 'No partner p9', extensions: { code: 'NOT_FOUND' } }] } }]);
    const error = await clientOf(service.url)
      .call('partners', PartnerQuery, { id: 'p9' })
      .catch((e: ServiceCallError) => e);
    expect((error as ServiceCallError).errors).toEqual([{ message: 'No partner p9', extensions: { code: 'NOT_FOUND' } }]);
  });

  it('retries a query when the service cannot be reached, then says so', async () => {
    service = await fakeService([ok]);
    const url = service.url;
    await service.close();
    service = undefined;
    const started = Date.now();
    await expect(clientOf(url, { attempts: 3 }).call('partners', PartnerQuery, { id: 'p1' })).rejects.toThrow(
      /^partners could not be reached/,
    );
    // Three attempts with two pauses of at least half the (doubling) base delay between them.
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 / 2 + 10 / 2);
  });

  it('fails a call the service does not answer within the deadline, retries included', async () => {
    service = await fakeService(['hang']);
    const started = Date.now();
    await expect(clientOf(service.url, { timeoutMs: 200 }).call('partners', PartnerQuery, { id: 'p1' })).rejects.toThrow(
      'partners did not answer within 200 ms.',
    );
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(5_000);
    expect(service.requests).toHaveLength(1);
  });

  it('takes a deadline per call', async () => {
    service = await fakeService(['hang']);
    await expect(
      clientOf(service.url, { timeoutMs: 60_000 }).call('partners', PartnerQuery, { id: 'p1' }, { timeoutMs: 100 }),
    ).rejects.toThrow('partners did not answer within 100 ms.');
  });
});
