/**
 * graphql-ws (protocol `graphql-transport-ws`) at the gateway's `/graphql`, on its own HTTP server: the same
 * URL as HTTP GraphQL, `ws://` instead of `http://`.
 *
 * Authentication is in `connection_init`: `{ "authorization": "Bearer <token>" }` (the HTTP header's value)
 * or `{ "token": "<token>" }`. Without either the socket closes with 4401 Unauthorized; with a token that
 * does not verify, 4403 Forbidden (graphql-ws's code for a refused connection). Each operation is parsed and
 * validated against the API schema (errors come back as the protocol's `error` message); subscriptions run
 * through the federated graph (federated-subscriptions.ts), queries and mutations through Apollo Server as
 * over HTTP, with the same error masking. Limits (`SubscriptionLimits`): operations open on one socket (over it:
 * the operation's `error`, code TOO_MANY_REQUESTS) and sockets open for one identity (over it: close 4429).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { type Identity, integerSetting, type Logger, type TokenVerifier } from '@care-graph/service-kit';
import { type ExecutionResult, GraphQLError, getOperationAST, parse, print, validate } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authenticate, type GatewayContext } from '../auth';
import type { FederatedSubscriptions } from './federated-subscriptions';

/** How much one client may hold open (README, Configuration). */
export interface SubscriptionLimits {
  /** SUBSCRIPTIONS_PER_CONNECTION: operations open at once on one socket (default 100). */
  perConnection: number;
  /** CONNECTIONS_PER_IDENTITY: sockets open at once for one token subject (default 20). */
  perIdentity: number;
}

/** The limits from the environment (see `SubscriptionLimits`); throws naming a setting that is not a whole number in range. */
export function subscriptionLimits(env: NodeJS.ProcessEnv): SubscriptionLimits {
  return {
    perConnection: integerSetting(env, 'SUBSCRIPTIONS_PER_CONNECTION', 100, 1, 10_000),
    perIdentity: integerSetting(env, 'CONNECTIONS_PER_IDENTITY', 20, 1, 10_000),
  };
}

/** The close code of a connection refused for the identity's connection limit (the 4xxx range is the application's). */
const TOO_MANY_CONNECTIONS = 4429;

export interface SubscriptionEndpointOptions {
  verifier: TokenVerifier;
  limits: SubscriptionLimits;
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
  const { limits } = options;
  const connections = new WeakMap<object, { identity: Identity; operations: Set<string> }>();
  /** Open connections by token subject (counted from the acknowledgement to the close). */
  const bySubject = new Map<string, number>();
  const disposable = useServer(
    {
      async onConnect(ctx) {
        const authorization = authorizationOf(ctx.connectionParams);
        if (!authorization) {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized: send { authorization: "Bearer <token>" } in connection_init');
          return false;
        }
        let identity: Identity;
        try {
          identity = await authenticate(options.verifier, authorization);
        } catch (error) {
          options.logger.info('subscription connection refused', { message: (error as Error).message });
          return false;
        }
        const open = bySubject.get(identity.subject) ?? 0;
        if (open >= limits.perIdentity) {
          ctx.extra.socket.close(
            TOO_MANY_CONNECTIONS,
            `Too many connections: this token already has ${open} open (CONNECTIONS_PER_IDENTITY); close one first.`,
          );
          return false;
        }
        bySubject.set(identity.subject, open + 1);
        connections.set(ctx.extra, { identity, operations: new Set() });
        return true;
      },
      onClose(ctx) {
        const connection = connections.get(ctx.extra);
        if (!connection) return;
        connections.delete(ctx.extra);
        const open = (bySubject.get(connection.identity.subject) ?? 1) - 1;
        if (open > 0) bySubject.set(connection.identity.subject, open);
        else bySubject.delete(connection.identity.subject);
      },
      onComplete(ctx, id) {
        connections.get(ctx.extra)?.operations.delete(id);
      },
      onError(ctx, id) {
        connections.get(ctx.extra)?.operations.delete(id);
      },
      onSubscribe(ctx, id, payload) {
        const connection = connections.get(ctx.extra)!;
        if (connection.operations.size >= limits.perConnection) {
          return [
            new GraphQLError(
              `Too many operations on this connection: ${connection.operations.size} are open (SUBSCRIPTIONS_PER_CONNECTION); complete one first.`,
              { extensions: { code: 'TOO_MANY_REQUESTS' } },
            ),
          ];
        }
        let document: ReturnType<typeof parse>;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const schema = options.subscriptions().apiSchema;
        const errors = validate(schema, document);
        if (errors.length) return [...errors];
        connection.operations.add(id);
        const contextValue: GatewayContext = { identity: connection.identity, requestId: randomUUID() };
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
