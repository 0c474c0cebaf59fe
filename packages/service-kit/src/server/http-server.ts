/**
 * One HTTP port per service: GraphQL at `/graphql`, `GET /healthz` (the process is up) and
 * `GET /readyz` (it can do its work: database reachable, and for the gateway every subgraph ready).
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { quote } from '@care-graph/limits';
import express, { type Express } from 'express';
import { httpStatusOf } from '../graphql/errors';
import type { Logger } from './logger';
import { transportErrorHandler } from './transport-errors';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** `GET /healthz` (the process answers) and `GET /readyz` (every check passes: 200, else 503 with the failures). */
export function healthRoutes(app: Express, service: string, checks: () => ReadinessCheck[]): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      checks().map(async ({ name, check }) => {
        try {
          await check();
          return { name, ok: true };
        } catch (error) {
          return { name, ok: false, error: (error as Error).message };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', service, checks: results });
  });
}

interface Listening {
  server: http.Server;
  port: number;
  /** The GraphQL URL, e.g. http://127.0.0.1:4001/graphql. */
  url: string;
}

/** Starts an HTTP server for `app` on `host:port` (0: a free port); EADDRINUSE becomes a sentence naming PORT. */
async function listen(app: Express, port: number, host: string): Promise<Listening> {
  const server = http.createServer(app);
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} on ${host} is in use; set PORT to a free one.`) : error),
    );
    server.listen(port, host, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return { server, port: actual, url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}/graphql` };
}

/**
 * A request Node's HTTP parser refuses before any route runs (headers or URL over Node's 16 KB limit, a
 * malformed request line) is answered as JSON in the GraphQL error shape too, not with Node's bare status line.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({
    errors: [
      tooLarge
        ? {
            message: 'The request headers (or URL) are larger than 16 KB; send long values in the body.',
            extensions: { code: 'REQUEST_HEADER_FIELDS_TOO_LARGE' },
          }
        : { message: 'The request could not be read as HTTP.', extensions: { code: 'BAD_REQUEST' } },
    ],
  });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A listening service: its GraphQL URL, its port, and how to stop it. */
export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Listens with `app`, logs the URL, and returns a handle whose `close` stops the HTTP server first (no new
 * requests) and then `stop` (e.g. Apollo Server).
 */
export async function serve(
  app: Express,
  port: number,
  host: string,
  logger: Logger,
  stop: () => Promise<void>,
  /** Attaches what shares the HTTP server (a WebSocket endpoint); the function it returns stops it, before `stop`. */
  attach?: (server: http.Server) => () => Promise<void>,
): Promise<RunningServer> {
  // Last, after every route: what no route answered becomes a JSON error, never Express's HTML page.
  app.use((req, res) => {
    const message = `No route ${req.method} ${quote(req.path)}; GraphQL is at POST /graphql.`;
    res
      .status(404)
      .json(
        req.path.startsWith('/graphql')
          ? { errors: [{ message, extensions: { code: 'NOT_FOUND' } }] }
          : { error: { code: 'NOT_FOUND', message } },
      );
  });
  app.use(transportErrorHandler(logger));
  const { server, port: actual, url } = await listen(app, port, host);
  const detach = attach?.(server);
  logger.info('listening', { url });
  return {
    url,
    port: actual,
    async close() {
      await detach?.();
      await closeServer(server);
      await stop();
    },
  };
}

/** Stops `server`: no new connections, open ones closed, resolved when it has stopped. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export { express };

/**
 * Answers an HTTP (non-GraphQL) route's error as JSON with the error's code, a matching status and its
 * sentence. An unexpected error (no public code) goes to `next`, that is to the server's transport error
 * handler, which logs it with the request id and answers a masked 500 quoting that id.
 */
export function sendError(res: import('express').Response, error: unknown, next: import('express').NextFunction): void {
  const status = httpStatusOf(error);
  if (status === 500) {
    next(error);
    return;
  }
  const code = (error as { extensions: { code: string } }).extensions.code;
  res.status(status).json({ error: { code, message: (error as Error).message } });
}
