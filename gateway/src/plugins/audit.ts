/**
 * Every mutation the gateway is sent is recorded in the audit log (audit/audit-log.ts), whatever became of it:
 * run (SUCCESS, or FAILED with its errors' codes), refused (DENIED: UNAUTHENTICATED, FORBIDDEN,
 * OPERATION_LIMIT_EXCEEDED, TOO_MANY_REQUESTS), or invalid (FAILED: GRAPHQL_VALIDATION_FAILED). A document that
 * does not parse names no operation and is not recorded. The record names the operation, its root fields and the
 * ids involved (audit/involved-ids.ts), never another argument value.
 *
 * Seams, because some refusals stop a request before Apollo's request hooks run: the plugin records what Apollo
 * ran or refused (HTTP, and the mutations graphql-ws and SSE hand to Apollo); `auditedContext` records an HTTP
 * mutation whose token was refused (actor `anonymous`); `recordRefusal` is what the streaming endpoints call for
 * what they refuse themselves.
 */
import type { ApolloServerPlugin, BaseContext, ContextFunction } from '@apollo/server';
import type { ExpressContextFunctionArgument } from '@as-integrations/express5';
import { type Identity, requestIdOf } from '@care-graph/service-kit';
import {
  type DocumentNode,
  type FormattedExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  parse,
} from 'graphql';
import { type AuditLog, clientIpOf } from '../audit/audit-log';
import { argumentIds, resultIds, rootFieldNodes } from '../audit/involved-ids';
import type { GatewayContext } from '../auth';

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
}

/** What a record says of `operation`: its root fields and the ids in its arguments and results. */
function described(
  schema: GraphQLSchema | undefined,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  data?: Record<string, unknown> | null,
) {
  const fields = rootFieldNodes(operation, fragmentsOf(document));
  return {
    operationName: operation.name?.value ?? null,
    fields: fields.map((f) => f.name.value),
    ids: [...(schema ? argumentIds(schema, 'Mutation', fields, variables) : []), ...resultIds(fields, data)],
  };
}

/** The codes of a response's errors. */
const codesOf = (errors: FormattedExecutionResult['errors']) =>
  (errors ?? []).map((error) => (typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR'));

/** The Apollo Server plugin: records each mutation once its response is ready, before it is sent. Place it before error masking. */
export function auditPlugin(audit: AuditLog): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ document, operation, request, response, schema, contextValue }) {
          // A document that validated has its operation; one that did not may still say it is a mutation.
          const resolved = operation ?? (document ? getOperationAST(document, request.operationName) : null);
          if (!document || resolved?.operation !== 'mutation' || !contextValue?.identity) return;
          // Read before any await: error masking, which runs alongside, replaces unexpected errors' codes.
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          const errorCodes = codesOf(result.errors);
          const what = described(schema, document, resolved, request.variables, result.data);
          await audit.record({
            identity: contextValue.identity,
            ...what,
            errorCodes,
            clientIp: contextValue.clientIp ?? null,
            requestId: contextValue.requestId,
            transport: contextValue.transport ?? 'http',
          });
        },
      };
    },
  };
}

/** The mutation an HTTP request's body asks for, if it is one (a body that does not parse asks for none). */
function mutationOf(
  body: unknown,
  maxTokens: number,
): { document: DocumentNode; operation: OperationDefinitionNode; variables?: Record<string, unknown> } | null {
  const { query, operationName, variables } = (body ?? {}) as { query?: unknown; operationName?: unknown; variables?: unknown };
  if (typeof query !== 'string') return null;
  try {
    const document = parse(query, { maxTokens, noLocation: true });
    const operation = getOperationAST(document, typeof operationName === 'string' ? operationName : undefined);
    if (operation?.operation !== 'mutation') return null;
    return {
      document,
      operation,
      variables: variables && typeof variables === 'object' ? (variables as Record<string, unknown>) : undefined,
    };
  } catch {
    return null;
  }
}

/** What a transport knows of a request it refused before Apollo saw it. */
interface Refusal {
  /** The GraphQL request (`{ query, operationName, variables }`) as the client sent it. */
  request: unknown;
  /** The verified identity; null when the token was refused. */
  identity: Identity | null;
  errorCodes: readonly string[];
  requestId: string;
  clientIp: string | null;
  transport: 'http' | 'graphql-ws' | 'sse';
}

/**
 * Records a request refused before it ran, when it asks for a mutation: a refused token over HTTP or SSE, an
 * operation graphql-ws or SSE refused (validation, operation limits, too many operations). Never throws.
 */
export async function recordRefusal(audit: AuditLog, options: { schema: GraphQLSchema | undefined; maxTokens: number }, refusal: Refusal) {
  const mutation = mutationOf(refusal.request, options.maxTokens);
  if (!mutation) return;
  await audit.record({
    identity: refusal.identity,
    ...described(options.schema, mutation.document, mutation.operation, mutation.variables),
    errorCodes: refusal.errorCodes,
    clientIp: refusal.clientIp,
    requestId: refusal.requestId,
    transport: refusal.transport,
  });
}

/**
 * Wraps the HTTP context function: the context gets the client's address, and a request whose context could
 * not be made (the token was refused) is recorded, when it is a mutation, with actor `anonymous`.
 */
export function auditedContext(
  audit: AuditLog,
  options: { schema: () => GraphQLSchema | undefined; maxTokens: number },
  context: ContextFunction<[ExpressContextFunctionArgument], Omit<GatewayContext, 'clientIp'>>,
): ContextFunction<[ExpressContextFunctionArgument], GatewayContext & BaseContext> {
  return async (argument) => {
    const clientIp = clientIpOf(argument.req, audit.settings.trustProxy);
    try {
      return { ...(await context(argument)), clientIp };
    } catch (error) {
      const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
      await recordRefusal(
        audit,
        { schema: options.schema(), maxTokens: options.maxTokens },
        {
          request: argument.req.body,
          identity: null,
          errorCodes: [typeof code === 'string' ? code : 'UNAUTHENTICATED'],
          clientIp,
          requestId: requestIdOf(argument.req.headers),
          transport: 'http',
        },
      );
      throw error;
    }
  };
}
