/**
 * An HTTP proxy in the test process, put between two services to fail one exchange precisely: it forwards every
 * request to the target port and its answer back, unless `intercept` takes the request over.
 */
import http from 'node:http';
import type net from 'node:net';

export interface ForwardedAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** What `intercept` may do with one request: forward it (and get the answer), answer it, or drop the connection. */
export interface InterceptedRequest {
  body: string;
  forward(): Promise<ForwardedAnswer>;
  answer(answer: ForwardedAnswer): void;
  /** Destroys the caller's connection without an answer. */
  drop(): void;
}

export interface TestProxy {
  url: string;
  /** Requests whose forwarding failed because the target did not answer (answered 502). */
  unreachable: number;
  close(): Promise<void>;
}

/**
 * Listens on a free port of 127.0.0.1 and forwards to `127.0.0.1:<targetPort()>` (asked per request: the target may be created after the proxy). `intercept` returns true when it
 * handled the request itself. A target that does not answer gets the caller a 502, as a real proxy would.
 */
export async function startProxy(
  targetPort: () => number,
  intercept?: (request: InterceptedRequest) => Promise<boolean>,
): Promise<TestProxy> {
  const sockets = new Set<net.Socket>();
  const state = { unreachable: 0 };
  const forward = (req: http.IncomingMessage, body: Buffer) =>
    new Promise<ForwardedAnswer>((resolve, reject) => {
      const headers = { ...req.headers, host: `127.0.0.1:${targetPort()}`, 'content-length': String(body.length) };
      delete headers.connection;
      const upstream = http.request(
        { host: '127.0.0.1', port: targetPort(), method: req.method, path: req.url, headers, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const answer = ({ status, headers, body: answerBody }: ForwardedAnswer) => {
        const { connection: _c, 'transfer-encoding': _t, 'keep-alive': _k, ...kept } = headers;
        res.writeHead(status, { ...kept, 'content-length': String(answerBody.length) });
        res.end(answerBody);
      };
      const intercepted: InterceptedRequest = {
        body: body.toString('utf8'),
        forward: () => forward(req, body),
        answer,
        drop: () => req.socket.destroy(),
      };
      void (async () => {
        try {
          if (intercept && (await intercept(intercepted))) return;
          answer(await forward(req, body));
        } catch (error) {
          state.unreachable += 1;
          if (!res.headersSent && !req.socket.destroyed) {
            res.writeHead(502, { 'content-type': 'text/plain' });
            res.end(`proxy: the target did not answer (${(error as Error).message})`);
          }
        }
      })();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    get unreachable() {
      return state.unreachable;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
