/**
 * Transport faults (bodies that are not JSON, too large, in another charset, broken gzip) on every service:
 * a JSON error with the right 4xx status and code, no HTML, no stack trace or file path, and nothing of the
 * body in the answer or in the logs.
 */
import { gzipSync } from 'node:zlib';
import { type Graph, startGraph } from '../../scripts/in-process-graph';

const SSN = '987-65-4320';
/** A body that carries PHI, so that a leak into the logs or the answer would show. */
const PHI_BODY = `{"query":"mutation { importCareRequests(records: []) { received } }", "ssn": "${SSN}"`;

describe('transport faults', () => {
  let graph: Graph;
  let logged: string[];
  const writes: jest.SpyInstance[] = [];
  beforeAll(async () => {
    graph = await startGraph();
  });
  afterAll(() => graph.close());
  beforeEach(() => {
    logged = [];
    for (const stream of [process.stdout, process.stderr]) {
      writes.push(jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => logged.push(String(chunk)) > 0));
    }
  });
  afterEach(() => {
    for (const spy of writes.splice(0)) spy.mockRestore();
  });

  const endpoints = () => [
    ['gateway', graph.url],
    ['care-requests', graph.subgraphs['care-requests'].url],
    ['pop-health', graph.subgraphs['pop-health'].url],
    ['partners', graph.subgraphs.partners.url],
  ];

  const cases: [string, Record<string, string>, () => string | Uint8Array, number, string][] = [
    ['malformed JSON carrying an SSN', { 'content-type': 'application/json' }, () => PHI_BODY, 400, 'BAD_REQUEST'],
    ['a bare JSON string', { 'content-type': 'application/json' }, () => '"{ __typename }"', 400, 'BAD_REQUEST'],
    [
      'an unsupported charset',
      { 'content-type': 'application/json; charset=latin-9' },
      () => '{"query":"{ __typename }"}',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a body that is not gzip though it says so',
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      () => PHI_BODY,
      400,
      'BAD_REQUEST',
    ],
    [
      'an unknown content encoding',
      { 'content-type': 'application/json', 'content-encoding': 'br2' },
      () => '{}',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['a UTF-16 body sent as UTF-8', { 'content-type': 'application/json' }, () => Buffer.from(PHI_BODY, 'utf16le'), 400, 'BAD_REQUEST'],
  ];

  it.each(cases)('answers %s with a JSON error on every service', async (_label, headers, body, status, code) => {
    for (const [service, url] of endpoints()) {
      const response = await fetch(url, { method: 'POST', headers, body: body() });
      const text = await response.text();
      expect({ service, status: response.status, type: response.headers.get('content-type') }).toEqual({
        service,
        status,
        type: expect.stringContaining('application/json'),
      });
      const answer = JSON.parse(text) as { errors: { message: string; extensions: { code: string } }[] };
      expect(answer.errors).toEqual([{ message: expect.any(String), extensions: expect.objectContaining({ code }) }]);
      expect(text).not.toMatch(/<html|<pre|at \S+ \(|node_modules|\/src\//);
      expect(text).not.toContain(SSN);
    }
    expect(logged.join('')).not.toContain(SSN);
    expect(logged.join('')).not.toContain('987654320');
  });

  it('answers a body over the 32 MB limit with 413, without reading it into the answer', async () => {
    const body = `{"query":"{ __typename }","pad":"${'x'.repeat(33 * 1024 * 1024)}"}`;
    const response = await fetch(graph.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await response.text();
    expect(response.status).toBe(413);
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: expect.stringContaining('larger than'), extensions: expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }) }],
    });
    expect(text.length).toBeLessThan(1000);
  });

  it('answers a gzip body that is valid as if it were plain', async () => {
    const response = await fetch(graph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${await graph.token('admin')}` },
      body: gzipSync('{"query":"{ __typename }"}'),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('answers an unknown route with a JSON 404, in the route shape outside /graphql', async () => {
    for (const [, url] of endpoints()) {
      const response = await fetch(new URL('/nothing-here', url));
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: { code: 'NOT_FOUND', message: expect.stringContaining('No route GET "/nothing-here"') },
      });
    }
  });

  it('answers a malformed roster upload on the gateway in the route shape', async () => {
    const response = await fetch(new URL('/rosters?partnerId=x&kind=BACKFILL', graph.url), {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip', authorization: `Bearer ${await graph.token('admin')}` },
      body: 'member_id\nnot gzip',
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(await response.json()).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
  });

  it.each([
    ['a mutation over GET', 'GET', '/graphql?query=mutation%20%7B%20__typename%20%7D', undefined, 405],
    ['an empty query', 'POST', '/graphql', '{"query":""}', 400],
    ['no query at all', 'POST', '/graphql', '{"variables":{}}', 400],
    ['variables that are not an object', 'POST', '/graphql', '{"query":"{ __typename }","variables":"x"}', 400],
  ])('answers %s as the client mistake it is (BAD_REQUEST, not a masked internal error)', async (_label, method, path, body, status) => {
    const response = await fetch(new URL(path, graph.url), {
      method,
      headers: {
        'content-type': 'application/json',
        'apollo-require-preflight': 'true',
        authorization: `Bearer ${await graph.token('admin')}`,
      },
      body,
    });
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({
      errors: [
        { message: expect.not.stringContaining('Internal server error'), extensions: expect.objectContaining({ code: 'BAD_REQUEST' }) },
      ],
    });
  });

  it('quotes at most a short prefix of a 100 KB filter value, in the message and in the extensions', async () => {
    const { status, body } = await graph.post(
      await graph.as('admin'),
      'query($v: PartialDateTime) { careRequests(lastUpdated: { gt: $v }) { transactionTime } }',
      {
        v: `2026${'9'.repeat(100_000)}`,
      },
    );
    expect({ status, code: body.errors?.[0].extensions?.code }).toEqual({ status: 200, code: 'BAD_USER_INPUT' });
    expect(JSON.stringify(body).length).toBeLessThan(1000);
  });

  it('still answers afterwards', async () => {
    const response = await graph.post(await graph.as('admin'), '{ __typename }');
    expect(response).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });
});
