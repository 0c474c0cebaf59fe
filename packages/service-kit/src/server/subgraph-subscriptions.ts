/**
 * A subgraph's subscriptions over graphql-ws (protocol `graphql-transport-ws`) on its own HTTP server, at
 * the GraphQL path. Like its HTTP endpoint it serves only Care Graph's gateway and services: connection_init
 * must carry the signed internal identity (`{ "x-care-graph-identity": … }`, what `internalHeaders` makes for
 * a `ws` call to this path), and a connection without a valid one is closed with 4403 before any operation
 * runs. The token is good for one connection: a token signed for an HTTP request, or one already used, is refused. Each subscription gets
 * a context of its own, built from that identity as an HTTP request's would be.
 */
import type http from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { IDENTITY_HEADER, type InternalCall, REQUEST_ID_HEADER } from '../auth/tokens';
import type { RequestContext } from '../graphql/request-context';
import type { Logger } from './logger';

export interface SubgraphSubscriptionOptions<Context extends RequestContext> {
  schema: GraphQLSchema;
  /** This service's name, which a connection's token must have been signed for. */
  service: string;
  /** The verified base context of a signed identity (throws when it does not verify). */
  authenticate(identityToken: string | undefined, call: InternalCall, requestId: string | undefined): Promise<RequestContext>;
  createContext(base: RequestContext): Context;
  logger: Logger;
  path?: string;
}

interface ConnectionState {
  base?: RequestContext;
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** Serves `options.schema`'s subscriptions on `server` (see the file's comment); the function returned stops it. */
export function serveSubgraphSubscriptions<Context extends RequestContext>(
  server: http.Server,
  options: SubgraphSubscriptionOptions<Context>,
): () => Promise<void> {
  const sockets = new WebSocketServer({ server, path: options.path ?? '/graphql' });
  const states = new WeakMap<object, ConnectionState>();
  const disposable = useServer(
    {
      schema: options.schema,
      async onConnect(ctx) {
        try {
          const base = await options.authenticate(
            text(ctx.connectionParams?.[IDENTITY_HEADER]),
            { service: options.service, use: 'ws', target: ctx.extra.request.url ?? '' },
            text(ctx.connectionParams?.[REQUEST_ID_HEADER]),
          );
          states.set(ctx.extra, { base });
          return true;
        } catch (error) {
          options.logger.warn('subscription connection refused', { message: (error as Error).message });
          return false;
        }
      },
      context: (ctx) => options.createContext(states.get(ctx.extra)!.base!),
      onError(_ctx, _id, _payload, errors) {
        for (const error of errors) options.logger.warn('subscription error', { message: error.message });
      },
    },
    sockets,
  );
  return async () => {
    await disposable.dispose();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
  };
}
