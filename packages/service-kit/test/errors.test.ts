import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { badUserInput, conflict, forbidden, httpStatusOf, notFound, unauthenticated } from '../src/graphql/errors';
import { closeServer, express, sendError } from '../src/server/http-server';

describe('error codes and HTTP statuses', () => {
  it.each([
    [badUserInput('x'), 400],
    [unauthenticated('x'), 401],
    [forbidden('x'), 403],
    [notFound('x'), 404],
    [conflict('x'), 409],
    [new Error('boom'), 500],
    [Object.assign(new Error('x'), { extensions: { code: 'INTERNAL_SERVER_ERROR' } }), 500],
    [null, 500],
  ])('%s answers %i', (error, status) => {
    expect(httpStatusOf(error)).toBe(status);
  });

  it('sets the status of a GraphQL response only for UNAUTHENTICATED (other errors sit in a 200 answer)', () => {
    expect(unauthenticated('x').extensions.http).toEqual({ status: 401 });
    for (const error of [badUserInput('x'), forbidden('x'), notFound('x'), conflict('x')]) expect(error.extensions.http).toBeUndefined();
  });

  it('keeps the details next to the code', () => {
    expect(badUserInput('bad', { argument: 'first' }).extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'first' });
  });

  it('answers an HTTP route with the code, its status and the sentence; unexpected errors are masked', async () => {
    const app = express();
    app.get('/known', (_req, res) => sendError(res, conflict('Already there.')));
    app.get('/unknown', (_req, res) => sendError(res, new Error('secret detail')));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const known = await fetch(`${base}/known`);
      expect(known.status).toBe(409);
      expect(await known.json()).toEqual({ error: { code: 'CONFLICT', message: 'Already there.' } });
      const unknown = await fetch(`${base}/unknown`);
      expect(unknown.status).toBe(500);
      expect(await unknown.json()).toEqual({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error.' } });
    } finally {
      await closeServer(server);
    }
  });
});
