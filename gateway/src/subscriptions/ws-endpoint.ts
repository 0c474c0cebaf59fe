/**
 * graphql-ws (protocol `graphql-transport-ws`) at the gateway's `/graphql`, on its own HTTP server: the same
 * URL as HTTP GraphQL, `ws://` instead of `http://`.
 *
 * Authentication is in `connection_init`: `{ "authorization": "Bearer <token>" }` (the HTTP header's value)
 * or `{ "token": "<token>" }`. Without either the socket closes with 4401 Unauthorized; with a token that
 * does not verify, 4403 Forbidden (graphql-ws's code for a refused connection). Each operation is parsed and
 * validated against the API schema (errors come back as the protocol's `error` message); subscriptions run
 * through the federated graph (federated-subscriptions.ts), queries and mutations through Apollo Server as
 * over HTTP, with the same error masking.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { Identity, Logger, TokenVerifier } from '@care-graph/service-kit';
import { type ExecutionResult, GraphQLError, getOperationAST, parse, print, validate } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authenticate, type GatewayContext } from '../auth';
import type { FederatedSubscriptions } from './federated-subscriptions';

export interface SubscriptionEndpointOptions {
  verifier: TokenVerifier;
  /** The subscriptions of the current supergraph. */
  subscriptions(): FederatedSubscriptions;
  apollo: ApolloServer<GatewayContext>;
  logger: Logger;
  path?: string;
}

/** The bearer token's `Authorization` form from a connection_init payload, or undefined when it has none. */
function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (typeof params?.authorization === 'string') return params.authorization;
  if (typeof params?.Authorization === 'string') return params.Authorization;
  if (typeof params?.token === 'string') return `Bearer ${params.token}`;
  return undefined;
}

/** Serves graphql-ws on `server` (see the file's comment); the function returned closes every socket and stops it. */
export function serveSubscriptionEndpoint(server: http.Server, options: SubscriptionEndpointOptions): () => Promise<void> {
  const sockets = new WebSocketServer({ server, path: options.path ?? '/graphql' });
  const identities = new WeakMap<object, Identity>();
  const disposable = useServer(
    {
      async onConnect(ctx) {
        const authorization = authorizationOf(ctx.connectionParams);
        if (!authorization) {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized: send { authorization: "Bearer <token>" } in connection_init');
          return false;
        }
        try {
          identities.set(ctx.extra, await authenticate(options.verifier, authorization));
          return true;
        } catch (error) {
          options.logger.info('subscription connection refused', { message: (error as Error).message });
          return false;
        }
      },
      onSubscribe(ctx, _id, payload) {
        let document: ReturnType<typeof parse>;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const schema = options.subscriptions().apiSchema;
        const errors = validate(schema, document);
        if (errors.length) return [...errors];
        const contextValue: GatewayContext = { identity: identities.get(ctx.extra)!, requestId: randomUUID() };
        return {
          schema,
          document,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
          contextValue,
        };
      },
      subscribe: (args) =>
        options.subscriptions().subscribe({
          document: args.document,
          variables: args.variableValues as Record<string, unknown> | undefined,
          operationName: args.operationName,
          context: args.contextValue as GatewayContext,
        }) as AsyncGenerator<ExecutionResult>,
      // Events arrive already formatted and masked (errors as plain objects): sent as they are.
      onNext: (_ctx, _id, _payload, _args, result) => result as never,
      async execute(args) {
        // A query or mutation sent over the socket: answered as over HTTP (plugins, masking included).
        const operation = getOperationAST(args.document, args.operationName);
        const response = await options.apollo.executeOperation(
          { query: print(args.document), variables: args.variableValues as Record<string, unknown>, operationName: operation?.name?.value },
          { contextValue: args.contextValue as GatewayContext },
        );
        if (response.body.kind !== 'single') throw new GraphQLError('Incremental delivery is not served over WebSocket.');
        return response.body.singleResult as ExecutionResult;
      },
    },
    sockets,
  );
  return async () => {
    await disposable.dispose();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
  };
}
