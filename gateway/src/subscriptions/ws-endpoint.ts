/**
 * graphql-ws (protocol `graphql-transport-ws`) at the gateway's `/graphql`, on its own HTTP server: the same
 * URL as HTTP GraphQL, `ws://` instead of `http://`.
 *
 * Authentication is in `connection_init`: `{ "authorization": "Bearer <token>" }` (the HTTP header's value)
 * or `{ "token": "<token>" }`. Without either the socket closes with 4401 Unauthorized; with a token that
 * does not verify, 4403 Forbidden (graphql-ws's code for a refused connection). Each operation is parsed and
 * validated against the API schema (errors come back as the protocol's `error` message); subscriptions run
 * through the federated graph (federated-subscriptions.ts), queries and mutations through Apollo Server as
 * over HTTP, with the same error masking (operations.ts, shared with the SSE endpoint). Limits
 * (`SubscriptionLimits`): operations open on one socket (over it: the operation's `error`, code
 * TOO_MANY_REQUESTS) and connections open for one identity, sockets and SSE streams together (over it: close 4429);
 * connections made by one identity, by the `connect` rate limit (rate-limits/rate-limits.ts; over it: close 4429
 * "Rate limited: retry after N s").
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { Identity, Logger, TokenVerifier } from '@care-graph/service-kit';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { type AuditLog, clientIpOf } from '../audit/audit-log';
import { authenticate, type GatewayContext } from '../auth';
import { recordRefusal } from '../plugins/audit';
import type { LimitSettings } from '../plugins/operation-limits';
import type { RateLimits } from '../rate-limits/rate-limits';
import type { FederatedSubscriptions } from './federated-subscriptions';
import type { IdentityConnections, SubscriptionLimits } from './limits';
import { executeOperation, prepareOperation, subscribeOperation } from './operations';

/**
 * The close code of a connection refused for the identity's connection limit or its `connect` rate limit (the
 * reason says which, and when to retry; the 4xxx range is the application's).
 */
const TOO_MANY = 4429;

export interface SubscriptionEndpointOptions {
  verifier: TokenVerifier;
  limits: SubscriptionLimits;
  /** What one operation may ask (plugins/operation-limits.ts), as over HTTP. */
  operationLimits: LimitSettings;
  /** The `connect` rate limit of each identity (each address, for a connection without a valid token). */
  rateLimits: RateLimits;
  /** The connections open per identity, shared with the SSE endpoint (CONNECTIONS_PER_IDENTITY). */
  connections: IdentityConnections;
  /** The subscriptions of the current supergraph. */
  subscriptions(): FederatedSubscriptions;
  apollo: ApolloServer<GatewayContext>;
  logger: Logger;
  path?: string;
  /** Where mutations are recorded (plugins/audit.ts): those this endpoint refuses, and the client's address for the rest. */
  audit?: AuditLog;
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
  /** Each acknowledged connection (counted for its identity from the acknowledgement to the close). */
  const connections = new WeakMap<object, { identity: Identity; clientIp: string | null; operations: Set<string>; release(): void }>();
  const disposable = useServer(
    {
      async onConnect(ctx) {
        const authorization = authorizationOf(ctx.connectionParams);
        if (!authorization) {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized: send { authorization: "Bearer <token>" } in connection_init');
          return false;
        }
        let identity: Identity | undefined;
        let refused: Error | undefined;
        try {
          identity = await authenticate(options.verifier, authorization);
        } catch (error) {
          refused = error as Error;
        }
        const clientIp = clientIpOf(ctx.extra.request, options.audit?.settings.trustProxy ?? false);
        const refusal = await options.rateLimits.take('connect', identity, clientIp ?? undefined);
        if (refusal) {
          // A close reason holds at most 123 bytes: the seconds first, the setting after.
          ctx.extra.socket.close(TOO_MANY, `Rate limited: retry after ${refusal.retryAfterSeconds} s`.slice(0, 123));
          return false;
        }
        if (!identity) {
          options.logger.info('subscription connection refused', { message: refused?.message });
          return false;
        }
        const slot = options.connections.open(identity.subject);
        if (!slot.open) {
          ctx.extra.socket.close(TOO_MANY, slot.refusal);
          return false;
        }
        connections.set(ctx.extra, { identity, clientIp, operations: new Set(), release: slot.release });
        return true;
      },
      onClose(ctx) {
        const connection = connections.get(ctx.extra);
        if (!connection) return;
        connections.delete(ctx.extra);
        connection.release();
      },
      onComplete(ctx, id) {
        connections.get(ctx.extra)?.operations.delete(id);
      },
      onError(ctx, id) {
        connections.get(ctx.extra)?.operations.delete(id);
      },
      async onSubscribe(ctx, id, payload) {
        const connection = connections.get(ctx.extra)!;
        const refuse = async (errors: readonly GraphQLError[], code: string) => {
          if (options.audit) {
            const { audit } = options;
            const errorCodes = errors.map((error) => (typeof error.extensions?.code === 'string' ? error.extensions.code : code));
            const origin = { identity: connection.identity, clientIp: connection.clientIp, transport: 'graphql-ws' as const };
            await recordRefusal(
              audit,
              { schema: options.subscriptions().apiSchema, maxTokens: options.operationLimits.maxTokens },
              { request: payload, errorCodes, requestId: randomUUID(), ...origin },
            );
          }
          return [...errors];
        };
        if (connection.operations.size >= limits.perConnection) {
          return refuse(
            [
              new GraphQLError(
                `Too many operations on this connection: ${connection.operations.size} are open (SUBSCRIPTIONS_PER_CONNECTION); complete one first.`,
                { extensions: { code: 'TOO_MANY_REQUESTS' } },
              ),
            ],
            'TOO_MANY_REQUESTS',
          );
        }
        const prepared = prepareOperation(
          options.subscriptions().apiSchema,
          payload,
          connection.identity,
          options.operationLimits,
          undefined,
          {
            clientIp: connection.clientIp,
            transport: 'graphql-ws',
          },
        );
        if ('refused' in prepared) return refuse(prepared.errors, prepared.refused);
        connection.operations.add(id);
        return prepared;
      },
      subscribe: (args) => subscribeOperation(options.subscriptions(), args) as AsyncGenerator<ExecutionResult>,
      // Events arrive already formatted and masked (errors as plain objects): sent as they are.
      onNext: (_ctx, _id, _payload, _args, result) => result as never,
      execute: (args) => executeOperation(options.apollo, args) as Promise<ExecutionResult>,
    },
    sockets,
  );
  return async () => {
    await disposable.dispose();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
  };
}
