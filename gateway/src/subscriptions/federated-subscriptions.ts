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
 *
 * Subscribers of the same operation, with the same variables and the same access (role and partner), share
 * one upstream subscription and one join an event (as Apollo Router deduplicates subscriptions): a thousand
 * admins watching one backfill cost the subgraph one subscription. Each subscriber has its own bounded queue
 * (a slow one is ended, never holds up the others). A subscriber that joins late gets, for a state
 * subscription (`stateFields`: its first event is the state now, e.g. backfillProgress), the last event
 * first; for an event feed (dataLoaded), the events from when it joined.
 */
import { operationFromDocument, type Schema, Supergraph } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { type FetchNode, type PlanNode, QueryPlanner, type SubscriptionNode } from '@apollo/query-planner';
import type { Logger } from '@care-graph/service-kit';
import { Repeater } from '@graphql-yoga/subscription';
import {
  type DocumentNode,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  getOperationAST,
  print,
} from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { GatewayContext } from '../auth';
import { maskErrors } from '../plugins/error-masking';

/**
 * One subscriber of a shared upstream subscription: its own queue of joined events, at most `bufferSize`
 * long — a client that falls further behind is ended (its waiting events dropped, SLOW_SUBSCRIBER) and
 * holds no one else up.
 */
interface Subscriber {
  /** A joined event for the subscriber. */
  offer(result: FormattedExecutionResult): void;
  /** The upstream subscription ended: `last` (an error event) or nothing more, then the end. */
  end(last: FormattedExecutionResult | null): void;
}

interface Source {
  add(subscriber: Subscriber): void;
  remove(subscriber: Subscriber): void;
}

/**
 * What makes two subscriptions the same upstream subscription: the operation, its variables, and the access
 * the caller's token gives (role and partner — what the subgraphs' rules and the joins read of an identity).
 */
function sharingKey({ document, variables, operationName, context }: SubscriptionRequest): string {
  const { role, partnerId } = context.identity;
  return JSON.stringify([print(document), operationName ?? null, variables ?? {}, role, partnerId ?? null]);
}

/** The service name the event takes the primary fetch's place under when the rest of the plan runs. */
const EVENT_SOURCE = '__subscription_event__';

export interface FederatedSubscriptionOptions {
  supergraphSdl: string;
  /** The URL the gateway calls subgraph `name` at (the supergraph's, unless overridden). */
  subgraphUrl(name: string, supergraphUrl: string | undefined): string;
  /** The data source of subgraph `name` for the joins' entity fetches (signs the caller's identity). */
  dataSource(name: string, url: string): GraphQLDataSource;
  /**
   * The connection_init payload a subgraph verifies: the caller's identity, signed for one WebSocket
   * connection to subgraph `name` at `url` (called for each connection, so each has a token of its own).
   */
  connectionParams(context: GatewayContext, subgraph: { name: string; url: string }): Promise<Record<string, string>>;
  /** Events one subscription may have waiting for its client (SUBSCRIPTION_BUFFER); one more ends it (SLOW_SUBSCRIBER). */
  bufferSize: number;
  /**
   * Root subscription fields whose first event is the state now (SUBSCRIPTION_STATE_FIELDS): a subscriber
   * that joins a shared upstream subscription of one of them gets its last event first. Others' subscribers
   * get the events from when they join.
   */
  stateFields: ReadonlySet<string>;
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

  /** The upstream subscriptions open now, by what makes two subscriptions the same (`sharingKey`). */
  const sources = new Map<string, Source>();

  /**
   * One upstream subscription and its joins, for every subscriber of the same operation with the same
   * variables and the same access (role and partner): each event is joined once and handed to each
   * subscriber's own queue (see `Subscriber`). It closes when its last subscriber goes, or ends them all when
   * the subgraph ends it.
   */
  function openSource(key: string, request: SubscriptionRequest): Source {
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
    const upstreamUrl = webSocketUrl(urls.get(primary.serviceName)!);
    const client = createClient({
      url: upstreamUrl,
      webSocketImpl: WebSocket,
      connectionParams: () => options.connectionParams(context, { name: primary.serviceName, url: upstreamUrl }),
      lazy: true,
      retryAttempts: 0,
    });
    const root = getOperationAST(document, operationName)?.selectionSet.selections[0];
    const replaysLast = root?.kind === 'Field' && options.stateFields.has(root.name.value);
    const subscribers = new Set<Subscriber>();
    // The subgraph's events not joined yet, joined one at a time so that they go out in the order it sent them.
    const arrived: FormattedExecutionResult[] = [];
    let upstreamEnding: FormattedExecutionResult | null | undefined; // undefined: live; null: completed; else the last event
    let last: FormattedExecutionResult | undefined;
    let joining = false;
    let closed = false;

    const close = (ending: FormattedExecutionResult | null) => {
      if (closed) return;
      closed = true;
      if (sources.get(key) === source) sources.delete(key);
      for (const subscriber of subscribers) subscriber.end(ending);
      unsubscribe();
      void client.dispose();
    };
    const pump = async () => {
      if (joining) return;
      joining = true;
      try {
        while (arrived.length && !closed) {
          const result = await join(arrived.shift()!);
          if (closed) return;
          last = result;
          for (const subscriber of subscribers) subscriber.offer(result);
        }
        if (upstreamEnding !== undefined) close(upstreamEnding);
      } catch (error) {
        close({ errors: mask([{ message: (error as Error).message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }]) });
      } finally {
        joining = false;
      }
    };
    const unsubscribe = client.subscribe(
      { query: primary.operation, variables: upstreamVariables, operationName: primary.operationName },
      {
        next: (event) => {
          arrived.push(event as FormattedExecutionResult);
          void pump();
        },
        error: (error) => {
          upstreamEnding ??= { errors: mask([upstreamFault(primary.serviceName, error)]) };
          void pump();
        },
        complete: () => {
          upstreamEnding ??= null;
          void pump();
        },
      },
    );
    const source: Source = {
      add(subscriber) {
        subscribers.add(subscriber);
        // A subscription whose first event is the state now: one that joins late starts from the last event.
        if (replaysLast && last) subscriber.offer(last);
      },
      remove(subscriber) {
        subscribers.delete(subscriber);
        if (subscribers.size === 0) close(null);
      },
    };
    sources.set(key, source);
    return source;
  }

  function subscribe(request: SubscriptionRequest): AsyncIterableIterator<FormattedExecutionResult> {
    const key = sharingKey(request);
    // Planned (and refused, if it cannot be) now, before the subscription is returned.
    let source: Source | undefined = sources.get(key) ?? openSource(key, request);
    const queue: FormattedExecutionResult[] = [];
    let ending: FormattedExecutionResult | null | undefined; // undefined: live; null: completed; else the last event
    let wake: (() => void) | undefined;
    const awaken = () => {
      wake?.();
      wake = undefined;
    };
    const subscriber: Subscriber = {
      offer(result) {
        if (ending !== undefined) return;
        if (queue.length >= options.bufferSize) {
          queue.length = 0;
          ending = { errors: [slowSubscriber(options.bufferSize)] };
          source?.remove(subscriber);
          source = undefined;
        } else queue.push(result);
        awaken();
      },
      end(last) {
        ending ??= last;
        source = undefined;
        awaken();
      },
    };
    source.add(subscriber);
    // A Repeater, not an async generator: a client that unsubscribes ends it at once (an async generator
    // waiting for the next event would hold the subscription until one came).
    return new Repeater<FormattedExecutionResult>(async (push, stop) => {
      let stopped = false;
      void stop.then(() => {
        stopped = true;
        awaken();
      });
      while (!stopped) {
        const result = queue.shift();
        if (result) await push(result);
        else if (ending !== undefined) {
          if (ending) await push(ending);
          break;
        } else await new Promise<void>((resolve) => (wake = resolve));
      }
      stop();
      source?.remove(subscriber);
      source = undefined;
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
