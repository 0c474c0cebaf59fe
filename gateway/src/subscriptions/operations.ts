/**
 * The operations the streaming transports receive — graphql-ws (ws-endpoint.ts) and GraphQL over SSE
 * (sse-endpoint.ts) — on one code path: prepared (parsed and validated against the API schema, with a
 * context of the caller's identity and a request id), then run: a subscription through the federated graph
 * (federated-subscriptions.ts), a query or mutation through Apollo Server as over HTTP (its plugins and
 * error masking included). Either way the results come out formatted and masked, for the transport to send
 * as they are.
 */
import { randomUUID } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import type { Identity } from '@care-graph/service-kit';
import {
  type DocumentNode,
  type ExecutionArgs,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  print,
  validate,
} from 'graphql';
import type { GatewayContext } from '../auth';
import { checkOperationLimits, type LimitSettings, tokenCapRefusal } from '../plugins/operation-limits';
import type { FederatedSubscriptions } from './federated-subscriptions';

/** An operation as a client sends it (graphql-ws's `subscribe` payload, an SSE request's body or query string). */
export interface OperationRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** A valid operation with what running it needs. */
export type PreparedOperation = ExecutionArgs & { contextValue: GatewayContext };

/** Why an operation was refused before running: it does not parse, does not validate against the API schema, or is over a limit. */
export interface RefusedOperation {
  refused: 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED' | 'OPERATION_LIMIT_EXCEEDED';
  errors: readonly GraphQLError[];
}

/**
 * `request` parsed and validated against `schema` (the API schema), with a context for `identity` and
 * `requestId` (a fresh one unless the transport has one, as HTTP's `x-request-id`), or why it was refused.
 */
export function prepareOperation(
  schema: GraphQLSchema,
  request: OperationRequest,
  identity: Identity,
  limits: LimitSettings,
  requestId: string = randomUUID(),
  /** Where the request came from, for the audit log (plugins/audit.ts). */
  origin: Pick<GatewayContext, 'clientIp' | 'transport'> = {},
): PreparedOperation | RefusedOperation {
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: limits.maxTokens });
  } catch (error) {
    const overCap = tokenCapRefusal((error as Error).message, request.query, identity.role, limits);
    if (overCap) return { refused: 'OPERATION_LIMIT_EXCEEDED', errors: [overCap] };
    return { refused: 'GRAPHQL_PARSE_FAILED', errors: [error as GraphQLError] };
  }
  const errors = validate(schema, document);
  if (errors.length) return { refused: 'GRAPHQL_VALIDATION_FAILED', errors };
  const overLimit = checkOperationLimits(limits, schema, document, request.operationName, request.variables, identity.role);
  if (overLimit) return { refused: 'OPERATION_LIMIT_EXCEEDED', errors: [overLimit] };
  return {
    schema,
    document,
    variableValues: request.variables ?? undefined,
    operationName: request.operationName ?? undefined,
    contextValue: { identity, requestId, ...origin },
  };
}

/** The events of a prepared subscription through the federated graph, each joined across subgraphs and masked. */
export function subscribeOperation(
  subscriptions: FederatedSubscriptions,
  args: ExecutionArgs,
): AsyncIterableIterator<FormattedExecutionResult> {
  return subscriptions.subscribe({
    document: args.document,
    variables: args.variableValues as Record<string, unknown> | undefined,
    operationName: args.operationName,
    context: args.contextValue as GatewayContext,
  });
}

/** A prepared query or mutation answered by Apollo Server, as over HTTP (plugins, masking included). */
export async function executeOperation(apollo: ApolloServer<GatewayContext>, args: ExecutionArgs): Promise<FormattedExecutionResult> {
  const operation = getOperationAST(args.document, args.operationName);
  const response = await apollo.executeOperation(
    { query: print(args.document), variables: args.variableValues as Record<string, unknown>, operationName: operation?.name?.value },
    { contextValue: args.contextValue as GatewayContext },
  );
  if (response.body.kind !== 'single') throw new GraphQLError('Incremental delivery is not served over streaming transports.');
  return response.body.singleResult;
}
