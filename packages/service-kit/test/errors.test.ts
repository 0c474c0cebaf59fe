import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { badUserInput, conflict, forbidden, httpStatusOf, notFound, unauthenticated } from '../src/graphql/errors';
import { closeServer, express, sendError } from '../src/server/http-server';
import { transportErrorHandler } from '../src/server/transport-errors';

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

  it('answers an HTTP route with the code, its status and the sentence; unexpected errors are masked and logged with the request id', async () => {
    const app = express();
    const logged: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (message: string, fields?: Record<string, unknown>) => logged.push({ message, fields }),
    };
    app.get('/known', (_req, res, next) => sendError(res, conflict('Already there.'), next));
    app.get('/unknown', (_req, res, next) => sendError(res, new Error('secret detail'), next));
    app.use(transportErrorHandler(logger));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const known = await fetch(`${base}/known`);
      expect(known.status).toBe(409);
      expect(await known.json()).toEqual({ error: { code: 'CONFLICT', message: 'Already there.' } });
      const unknown = await fetch(`${base}/unknown`, { headers: { 'x-request-id': 'req-500' } });
      expect(unknown.status).toBe(500);
      expect(await unknown.json()).toEqual({
        error: {
          code: 'INTERNAL_SERVER_ERROR',
          message: 'Internal server error. Quote request id req-500 when reporting it.',
          requestId: 'req-500',
        },
      });
      expect(logged).toEqual([
        { message: 'unexpected error', fields: { requestId: 'req-500', path: '/unknown', message: 'secret detail' } },
      ]);
    } finally {
      await closeServer(server);
    }
  });
});
