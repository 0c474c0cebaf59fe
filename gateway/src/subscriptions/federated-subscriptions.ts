/**
 * Subscriptions through the federated graph, which @apollo/gateway plans but does not execute ("Execution
 * of subscriptions not supported by gateway"). A subscription's query plan is a primary fetch — the
 * subscription itself, for the subgraph that owns its root field, selecting that subgraph's fields and the
 * keys of the entities it returns — and the rest: the entity fetches of the fields other subgraphs own.
 * Here the primary fetch becomes a graphql-ws subscription to that subgraph (with the caller's identity,
 * signed as on every subgraph call), and each event it sends is completed by running the rest of the plan
 * with the gateway's own executor (`executeQueryPlan`), the event standing in for the primary fetch's answer
 * — the joins Apollo Router and Hive Gateway make per event. A join's errors go out in that event's
 * `errors`, masked like an HTTP response's; the subscription goes on.
 */
import { operationFromDocument, type Schema, Supergraph } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { type FetchNode, type PlanNode, QueryPlanner, type SubscriptionNode } from '@apollo/query-planner';
import type { Logger } from '@care-graph/service-kit';
import { Repeater } from '@graphql-yoga/subscription';
import { type DocumentNode, type FormattedExecutionResult, GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { GatewayContext } from '../auth';
import { maskErrors } from '../plugins/error-masking';

/** The service name the event takes the primary fetch's place under when the rest of the plan runs. */
const EVENT_SOURCE = '__subscription_event__';

export interface FederatedSubscriptionOptions {
  supergraphSdl: string;
  /** The URL the gateway calls subgraph `name` at (the supergraph's, unless overridden). */
  subgraphUrl(name: string, supergraphUrl: string | undefined): string;
  /** The data source of subgraph `name` for the joins' entity fetches (signs the caller's identity). */
  dataSource(name: string, url: string): GraphQLDataSource;
  /** The connection_init payload a subgraph verifies: the caller's identity, signed. */
  connectionParams(context: GatewayContext): Promise<Record<string, string>>;
  /** Events one subscription may have waiting for its client (SUBSCRIPTION_BUFFER); one more ends it (SLOW_SUBSCRIBER). */
  bufferSize: number;
  logger: Logger;
}

interface SubscriptionRequest {
  document: DocumentNode;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  context: GatewayContext;
}

export interface FederatedSubscriptions {
  /** The API schema, that subscriptions are validated against. */
  apiSchema: GraphQLSchema;
  /** The events of a validated subscription operation, each joined across subgraphs. */
  subscribe(request: SubscriptionRequest): AsyncIterableIterator<FormattedExecutionResult>;
}

/** The subgraph's WebSocket URL for its HTTP GraphQL URL (same host, port and path). */
export function webSocketUrl(httpUrl: string): string {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** The subscriptions of the supergraph `options.supergraphSdl` (see the file's comment). */
export function federatedSubscriptions(options: FederatedSubscriptionOptions): FederatedSubscriptions {
  const supergraph = Supergraph.build(options.supergraphSdl);
  const api: Schema = supergraph.apiSchema();
  const apiSchema = api.toGraphQLJSSchema();
  const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);
  const urls = new Map<string, string>();
  const serviceMap: ServiceMap = {};
  for (const subgraph of supergraph.subgraphs()) {
    const url = options.subgraphUrl(subgraph.name, subgraph.url);
    urls.set(subgraph.name, url);
    serviceMap[subgraph.name] = options.dataSource(subgraph.name, url);
  }

  function subscribe(request: SubscriptionRequest): AsyncIterableIterator<FormattedExecutionResult> {
    const { document, context } = request;
    const variables = request.variables ?? {};
    const operationName = request.operationName ?? undefined;
    const mask = (errors: readonly GraphQLFormattedError[]) => maskErrors(errors, context.requestId, options.logger);
    const operationContext = buildOperationContext({ schema: apiSchema, operationDocument: document, operationName });
    const plan = planner.buildQueryPlan(operationFromDocument(api, document, { operationName }));
    if (plan.node?.kind !== 'Subscription') throw new Error('federatedSubscriptions.subscribe needs a subscription operation.');
    const { primary, rest } = plan.node as SubscriptionNode;
    // What executeQueryPlan reads of Apollo's request context: the variables, the context the data sources
    // sign the caller's identity from, metrics it writes to, and a logger (console otherwise).
    const requestContext = { request: { variables, operationName }, context, metrics: {}, logger: options.logger };

    /** The response to the caller's operation for one event of the primary subscription. */
    const join = async (event: FormattedExecutionResult): Promise<FormattedExecutionResult> => {
      if (event.data === null || event.data === undefined) return { errors: mask(event.errors ?? []) };
      const eventSource: GraphQLDataSource = { process: async () => ({ data: event.data, errors: event.errors }) as never };
      const node: PlanNode = { kind: 'Sequence', nodes: [{ ...primary, serviceName: EVENT_SOURCE } as FetchNode, ...(rest ? [rest] : [])] };
      const result = await executeQueryPlan(
        { kind: 'QueryPlan', node },
        { ...serviceMap, [EVENT_SOURCE]: eventSource },
        requestContext as never,
        operationContext,
        supergraphSchema,
        api,
      );
      const errors = result.errors?.map((error) => (error instanceof GraphQLError ? error.toJSON() : error));
      return errors?.length ? { data: result.data, errors: mask(errors) } : { data: result.data };
    };

    const upstreamVariables = Object.fromEntries(
      (primary.variableUsages ?? []).filter((name) => name in variables).map((name) => [name, variables[name]]),
    );
    // A Repeater, not an async generator: a client that unsubscribes ends it at once (an async generator
    // waiting for the next upstream event would hold the upstream socket until one came).
    return new Repeater<FormattedExecutionResult>(async (push, stop) => {
      const client = createClient({
        url: webSocketUrl(urls.get(primary.serviceName)!),
        webSocketImpl: WebSocket,
        connectionParams: () => options.connectionParams(context),
        lazy: true,
        retryAttempts: 0,
      });
      // The subgraph's events not yet sent, oldest first, joined one at a time as the client takes them (so
      // they go out in the order the subgraph sent them, and a slow client costs no joins it cannot read).
      // A client this far behind is ended: its pending events are dropped, it gets the SLOW_SUBSCRIBER error.
      const pending: FormattedExecutionResult[] = [];
      let ending: FormattedExecutionResult | null | undefined; // undefined: live; null: completed; else the last event
      let wake: (() => void) | undefined;
      const arrived = () => {
        wake?.();
        wake = undefined;
      };
      const unsubscribe = client.subscribe(
        { query: primary.operation, variables: upstreamVariables, operationName: primary.operationName },
        {
          next: (event) => {
            if (ending !== undefined) return;
            if (pending.length >= options.bufferSize) {
              pending.length = 0;
              ending = { errors: [slowSubscriber(options.bufferSize)] };
              unsubscribe();
            } else {
              pending.push(event as FormattedExecutionResult);
            }
            arrived();
          },
          error: (error) => {
            ending ??= { errors: mask([upstreamFault(primary.serviceName, error)]) };
            arrived();
          },
          complete: () => {
            ending ??= null;
            arrived();
          },
        },
      );
      let stopped = false;
      void stop.then(() => {
        stopped = true;
        arrived();
      });
      while (!stopped) {
        const event = pending.shift();
        if (event) await push(await join(event));
        else if (ending !== undefined) {
          if (ending) await push(ending);
          break;
        } else await new Promise<void>((resolve) => (wake = resolve));
      }
      stop();
      unsubscribe();
      await client.dispose();
    });
  }

  return { apiSchema, subscribe };
}

/** The last event of a subscription whose client fell `bufferSize` events behind. */
function slowSubscriber(bufferSize: number): GraphQLFormattedError {
  return {
    message: `This subscription fell ${bufferSize} events behind its client (it read too slowly) and was ended; subscribe again (the first event is the state now).`,
    extensions: { code: 'SLOW_SUBSCRIBER' },
  };
}

/** What the caller reads when the owning subgraph's subscription fails: its errors, or that it went away. */
function upstreamFault(serviceName: string, error: unknown): GraphQLFormattedError {
  if (Array.isArray(error) && error[0]?.message) return error[0] as GraphQLFormattedError;
  const closed = error as { code?: number; reason?: string };
  if (typeof closed?.code === 'number') {
    return {
      message: `The ${serviceName} service closed the subscription (${closed.code}${closed.reason ? `: ${closed.reason}` : ''}); subscribe again.`,
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    };
  }
  return { message: (error as Error)?.message ?? String(error), extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
