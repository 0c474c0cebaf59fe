/**
 * Serves a subgraph: Apollo Server on Express, behind the internal identity check, and its subscriptions
 * over graphql-ws on the same port (subgraph-subscriptions.ts). A request or connection that does not carry
 * an identity signed by a Care Graph service is refused before any resolver runs.
 */
import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { Express, Request } from 'express';
import type { GraphQLSchema } from 'graphql';
import { SSN_FOR_MATCHING } from '../auth/sealing';
import { IDENTITY_HEADER, type InternalAuth, type InternalCall } from '../auth/tokens';
import type { WatermarkClock } from '../database/watermark';
import { boundErrorEcho } from '../graphql/errors';
import type { RequestContext } from '../graphql/request-context';
import type { EventBus } from './event-bus';
import { express, healthRoutes, type ReadinessCheck, type RunningServer, serve } from './http-server';
import type { Logger } from './logger';
import { cancellationPlugin, requestDeadline } from './request-deadline';
import type { ServiceClient } from './service-client';
import { serveSubgraphSubscriptions } from './subgraph-subscriptions';

/** Memoises an async computation for the life of one request. */
function once<T>(compute: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= compute());
}

export interface SubgraphServerOptions<Context extends RequestContext> {
  name: string;
  schema: GraphQLSchema;
  internalAuth: InternalAuth;
  /** Adds the service's per-request state (its DataLoaders) to the verified identity. */
  createContext(base: RequestContext): Context;
  clock: WatermarkClock;
  /** The service's event bus, in every request's context. */
  events: EventBus;
  readiness: ReadinessCheck[];
  /** This service's client for calls to the other services (bound to each request's id). */
  services: ServiceClient;
  /**
   * Extra HTTP routes (e.g. streamed uploads), mounted before /graphql; `authenticate` checks the internal
   * identity, bound to the request's method and target (path and query string) but not to its body, which such
   * a route streams rather than reads whole.
   */
  routes?: (app: Express, authenticate: (req: Request) => Promise<RequestContext>) => void;
  port: number;
  host: string;
  /** Deadline of one `/graphql` request (REQUEST_TIMEOUT_MS); a query past it, or whose caller left, stops. */
  requestTimeoutMs: number;
  logger: Logger;
}

/** Starts Apollo Server for `schema` behind the internal identity check, with health routes, on `port`. */
export async function startSubgraphServer<Context extends RequestContext>(options: SubgraphServerOptions<Context>): Promise<RunningServer> {
  const apollo = new ApolloServer<Context>({
    schema: options.schema,
    // Subgraphs sit behind the gateway: no landing page, no stack traces, and no inline traces (they
    // only feed Apollo's usage reporting, which Care Graph keeps off). No cache-control hints either: no
    // cache reads them, and computing them wraps every field resolver (cost: bench/RESULTS.md, "Figures behind
    // design decisions").
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      cancellationPlugin(),
      errorLogging(options.logger),
    ],
    includeStacktraceInErrorResponses: false,
    formatError: boundErrorEcho,
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  healthRoutes(app, options.name, () => options.readiness);
  const ssnSealer = options.internalAuth.sealer(SSN_FOR_MATCHING);
  const authenticateToken = async (token: string | undefined, call: InternalCall, sentRequestId?: string): Promise<RequestContext> => {
    const { identity, requestId } = await options.internalAuth.verify(token, call);
    const id = requestId ?? sentRequestId ?? randomUUID();
    return {
      identity,
      requestId: id,
      watermark: once(() => options.clock.compute()),
      clock: options.clock,
      callService: options.services.forRequest(id),
      ssnSealer,
      events: options.events,
    };
  };
  const authenticate = (req: Request, body?: Buffer) => {
    const header = req.headers[IDENTITY_HEADER];
    return authenticateToken(Array.isArray(header) ? header[0] : header, {
      service: options.name,
      use: 'http',
      method: req.method,
      target: req.originalUrl,
      body,
    });
  };
  // The bytes of each GraphQL request as they arrived, which is what its token's body hash was computed over
  // (re-serialising the parsed body would not give them back). A request without a body (a GET, an empty
  // POST) is checked against the hash of no bytes, which no Care Graph caller signs: internal calls are POSTs.
  const rawBodies = new WeakMap<object, Buffer>();
  options.routes?.(app, (req) => authenticate(req));
  app.use(
    '/graphql',
    express.json({ limit: '32mb', verify: (req, _res, buffer) => rawBodies.set(req, buffer) }),
    requestDeadline({ timeoutMs: options.requestTimeoutMs, logger: options.logger }),
    expressMiddleware(apollo, {
      context: async ({ req }) => options.createContext(await authenticate(req, rawBodies.get(req) ?? Buffer.alloc(0))),
    }),
  );
  return serve(
    app,
    options.port,
    options.host,
    options.logger,
    () => apollo.stop(),
    (server) =>
      serveSubgraphSubscriptions(server, {
        schema: options.schema,
        service: options.name,
        authenticate: authenticateToken,
        createContext: options.createContext,
        logger: options.logger,
      }),
  );
}

/** Logs unexpected resolver errors with the request's correlation id (never its variables). */
function errorLogging(logger: Logger) {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors(ctx: {
          errors: readonly { message: string; extensions?: Record<string, unknown>; path?: readonly (string | number)[] }[];
          contextValue: unknown;
        }) {
          const requestId = (ctx.contextValue as RequestContext | undefined)?.requestId;
          for (const error of ctx.errors) {
            if (!error.extensions?.code || error.extensions.code === 'INTERNAL_SERVER_ERROR') {
              logger.error('resolver error', { requestId, message: error.message, path: error.path?.join('.') });
            }
          }
        },
      };
    },
  };
}
