/**
 * GraphQL over Server-Sent Events (the `graphql-sse` protocol, distinct connections mode) at the gateway's
 * `/graphql`, for clients behind proxies that drop WebSockets. A request with `Accept: text/event-stream` —
 * a POST with the JSON body `{ query, variables, operationName }`, or a GET with those as query parameters —
 * is one operation on a stream of its own: an `event: next` per result, then `event: complete`, and the
 * response ends. Every other request goes on to Apollo Server.
 *
 * Before a stream opens, as for HTTP GraphQL: the `Authorization: Bearer <token>` header is verified (a
 * refusal has the same status and body as over HTTP); the stream is counted against CONNECTIONS_PER_IDENTITY
 * together with the identity's WebSockets (over it: 429, TOO_MANY_REQUESTS); the operation is parsed and
 * validated (400 with the errors). Operations run on the path graphql-ws uses (operations.ts), so events are
 * joined and masked the same way. Single connection mode (a PUT reservation, then operations carrying
 * `X-GraphQL-Event-Stream-Token`) is refused: 405 for the PUT or DELETE, 400 for the token. A client that
 * closes the request ends its operation, and with it the upstream subscription.
 */
import type { ApolloServer } from '@apollo/server';
import { type Identity, type Logger, requestIdOf, type TokenVerifier } from '@care-graph/service-kit';
import type { Request, RequestHandler, Response } from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { TOKEN_HEADER_KEY } from 'graphql-sse';
import { createHandler } from 'graphql-sse/lib/use/express';
import { type AuditLog, clientIpOf } from '../audit/audit-log';
import { authenticate, type GatewayContext } from '../auth';
import { recordRefusal } from '../plugins/audit';
import { maskError, maskErrors } from '../plugins/error-masking';
import type { LimitSettings } from '../plugins/operation-limits';
import type { FederatedSubscriptions } from './federated-subscriptions';
import type { IdentityConnections } from './limits';
import { executeOperation, prepareOperation, subscribeOperation } from './operations';

/** The Accept header that asks for a stream (graphql-sse's handler streams for exactly this value). */
const EVENT_STREAM = 'text/event-stream';

const DISTINCT_CONNECTIONS_ONLY =
  'GraphQL over SSE is served in distinct connections mode only: send each operation as its own POST (or GET) to /graphql with ' +
  '"Accept: text/event-stream". Single connection mode (a PUT reservation, X-GraphQL-Event-Stream-Token) is not served.';

export interface SseEndpointOptions {
  verifier: TokenVerifier;
  /** The connections open per identity, shared with the WebSocket endpoint (CONNECTIONS_PER_IDENTITY). */
  connections: IdentityConnections;
  /** The subscriptions of the current supergraph. */
  subscriptions(): FederatedSubscriptions;
  /** What one operation may ask (plugins/operation-limits.ts), as over HTTP. */
  operationLimits: LimitSettings;
  apollo: ApolloServer<GatewayContext>;
  logger: Logger;
  /** Where mutations are recorded (plugins/audit.ts): those this endpoint refuses, and the client's address for the rest. */
  audit?: AuditLog;
}

/** The operation context, in the type graphql-sse's handler wants. */
type StreamContext = GatewayContext & Record<PropertyKey, unknown>;

/** The JSON error response every refusal here has, the GraphQL-over-HTTP shape Apollo answers in. */
function refuse(res: Response, status: number, errors: readonly GraphQLFormattedError[], headers: Record<string, string> = {}): void {
  res.status(status).set(headers).json({ errors });
}

/** The SSE endpoint, an Express middleware for `/graphql` placed before Apollo's (see the file's comment). */
export function sseEndpoint(options: SseEndpointOptions): RequestHandler {
  const { logger } = options;
  /** Records a refused request when it asks for a mutation (plugins/audit.ts). */
  const audited = async (request: unknown, identity: Identity | null, errorCodes: string[], requestId: string, clientIp: string | null) => {
    if (!options.audit) return;
    const limits = { schema: options.subscriptions().apiSchema, maxTokens: options.operationLimits.maxTokens };
    await recordRefusal(options.audit, limits, { request, identity, errorCodes, requestId, clientIp, transport: 'sse' });
  };
  /** The verified caller of each request graphql-sse's handler is serving. */
  const callers = new WeakMap<Request, GatewayContext>();
  const handler = createHandler<StreamContext>({
    // No stream is ever reserved (PUTs are refused before the handler), so each request is a distinct stream.
    authenticate: () => null,
    async onSubscribe(req, params) {
      const caller = callers.get(req.raw)!;
      const prepared = prepareOperation(
        options.subscriptions().apiSchema,
        params,
        caller.identity,
        options.operationLimits,
        caller.requestId,
        { clientIp: caller.clientIp, transport: 'sse' },
      );
      if (!('refused' in prepared)) return prepared as typeof prepared & { contextValue: StreamContext };
      // As Apollo answers over HTTP: 400, each error with the code of the step that refused it.
      const errors = prepared.errors.map((error) => ({ ...error.toJSON(), extensions: { ...error.extensions, code: prepared.refused } }));
      await audited(params, caller.identity, [prepared.refused], caller.requestId, caller.clientIp ?? null);
      return [
        JSON.stringify({ errors: maskErrors(errors, caller.requestId, logger) }),
        { status: 400, statusText: 'Bad Request', headers: { 'content-type': 'application/json; charset=utf-8' } },
      ];
    },
    // onSubscribe has validated the operation (operations.ts): not twice.
    validate: () => [],
    subscribe: (args) => subscribeOperation(options.subscriptions(), args) as never,
    execute: (args) => executeOperation(options.apollo, args) as never,
  });

  return async (req, res, next) => {
    if (req.method === 'PUT' || req.method === 'DELETE') {
      refuse(res, 405, [{ message: DISTINCT_CONNECTIONS_ONLY, extensions: { code: 'BAD_REQUEST' } }], { allow: 'GET, POST' });
      return;
    }
    if (req.headers[TOKEN_HEADER_KEY] !== undefined) {
      refuse(res, 400, [{ message: DISTINCT_CONNECTIONS_ONLY, extensions: { code: 'BAD_REQUEST' } }]);
      return;
    }
    if (req.headers.accept !== EVENT_STREAM) {
      next();
      return;
    }
    const requestId = requestIdOf(req.headers);
    const clientIp = clientIpOf(req, options.audit?.settings.trustProxy ?? false);
    let identity: Identity;
    try {
      identity = await authenticate(options.verifier, req.headers.authorization);
    } catch (error) {
      // Apollo's answer over HTTP: the error's own status and code (UNAUTHENTICATED: 401), anything else a masked 500.
      const { code, http } = error instanceof GraphQLError ? (error.extensions as { code?: string; http?: { status?: number } }) : {};
      await audited(req.method === 'GET' ? req.query : req.body, null, [code ?? 'UNAUTHENTICATED'], requestId, clientIp);
      refuse(res, http?.status ?? 500, [maskError({ message: (error as Error).message, extensions: { code } }, requestId, logger)]);
      return;
    }
    const slot = options.connections.open(identity.subject);
    if (!slot.open) {
      await audited(req.method === 'GET' ? req.query : req.body, identity, ['TOO_MANY_REQUESTS'], requestId, clientIp);
      refuse(res, 429, [{ message: slot.refusal, extensions: { code: 'TOO_MANY_REQUESTS' } }]);
      return;
    }
    // 'close' on the response, not the request: a request emits it once its body is read, a response when it ends or the client goes.
    res.once('close', slot.release);
    if (res.closed) {
      slot.release(); // the client left while its token was being verified
      return;
    }
    callers.set(req, { identity, requestId, clientIp });
    try {
      await handler(req, res);
    } catch (error) {
      // graphql-sse rejects when an operation throws before its stream opens, when the stream fails, and when
      // the client went away while an event was being written (nothing to answer then).
      if (res.destroyed) return;
      const [masked] = maskErrors([{ message: (error as Error).message }], requestId, logger);
      if (!res.headersSent) refuse(res, 500, [masked]);
      else res.end(`event: next\ndata: ${JSON.stringify({ errors: [masked] })}\n\nevent: complete\ndata:\n\n`);
    }
  };
}
