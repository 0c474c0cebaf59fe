/**
 * The one client for calls between Care Graph services: typed documents (compiled by codegen against the
 * callee's subgraph SDL), the caller's signed service identity and the request id, a deadline, and retries
 * with backoff where repeating a call does no harm.
 *
 * Retried: queries, and mutations the caller marks `idempotent`, after a network failure or a 502/503/504
 * (the callee restarting or a proxy without it), within the call's deadline. Never retried: anything the
 * callee answered (GraphQL errors, other statuses), and mutations not marked idempotent.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, Kind, type OperationTypeNode, print } from 'graphql';
import { type InternalAuth, internalHeaders, requestTarget } from '../auth/tokens';

export interface ServiceCallOptions {
  /** A mutation whose repetition does no harm (e.g. it sets a state): retry it as a query would be. */
  idempotent?: boolean;
  /** Deadline of the whole call, retries included (default: the client's). */
  timeoutMs?: number;
}

/** Calls `service` with a typed operation; resolves to its `data`, or throws a ServiceCallError. */
export type CallService = <Result, Variables>(
  service: string,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
  options?: ServiceCallOptions,
) => Promise<Result>;

export interface ServiceClientOptions {
  /** The calling service (the subject of the identity it signs). */
  name: string;
  internalAuth: InternalAuth;
  /** Where each service's GraphQL endpoint is. */
  serviceUrl: (service: string) => string;
  /** Default deadline of a call, retries included: 30 s. */
  timeoutMs?: number;
  /** Attempts of a retryable call (default 3) and the first pause between them (default 200 ms, doubling). */
  retry?: { attempts?: number; baseDelayMs?: number };
}

/** A call that failed: the callee's GraphQL errors, an HTTP failure, no answer in time, or no connection. */
export class ServiceCallError extends Error {
  constructor(
    readonly service: string,
    message: string,
    /** The HTTP status, when the callee (or a proxy) answered. */
    readonly status: number | null = null,
    /** The GraphQL errors the callee answered with. */
    readonly errors: readonly { message: string; extensions?: { code?: string } }[] = [],
  ) {
    super(message);
    this.name = 'ServiceCallError';
  }
}

export interface ServiceClient {
  /** Calls under a new request id (work no request started, e.g. housekeeping). */
  call: CallService;
  /** Calls under the request id of the request being served, so logs correlate. */
  forRequest(requestId: string): CallService;
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

const printed = new WeakMap<DocumentNode, { query: string; operation: OperationTypeNode }>();
function operationOf(document: DocumentNode) {
  let known = printed.get(document);
  if (!known) {
    const definition = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    if (!definition || definition.kind !== Kind.OPERATION_DEFINITION)
      throw new Error('A service call needs a document with one operation.');
    known = { query: print(document), operation: definition.operation };
    printed.set(document, known);
  }
  return known;
}

/** The service-to-service client of service `name`. */
export function serviceClient(options: ServiceClientOptions): ServiceClient {
  const attempts = Math.max(1, options.retry?.attempts ?? 3);
  const baseDelayMs = options.retry?.baseDelayMs ?? 200;
  const identity = { subject: options.name, role: 'service' as const };

  const callAs =
    (requestId: string): CallService =>
    async (service, document, variables, callOptions = {}) => {
      const { query, operation } = operationOf(document);
      const retryable = operation === 'query' || callOptions.idempotent === true;
      const timeoutMs = callOptions.timeoutMs ?? options.timeoutMs ?? 30_000;
      const deadline = AbortSignal.timeout(timeoutMs);
      const url = options.serviceUrl(service);
      const body = JSON.stringify({ query, variables });
      const call = { service, use: 'http', method: 'POST', target: requestTarget(url), body } as const;

      for (let attempt = 1; ; attempt += 1) {
        const last = !retryable || attempt >= attempts;
        let response: Response;
        let text: string;
        try {
          // A token per attempt: the callee takes each one once, so a retry with the first one would be refused as a replay.
          const headers = {
            'content-type': 'application/json',
            ...(await internalHeaders(options.internalAuth, identity, requestId, call)),
          };
          response = await fetch(url, { method: 'POST', headers, body, signal: deadline });
          text = await response.text();
        } catch (error) {
          if (deadline.aborted) throw new ServiceCallError(service, `${service} did not answer within ${timeoutMs} ms.`);
          if (last) throw new ServiceCallError(service, `${service} could not be reached (${(error as Error).message}).`);
          await pause(baseDelayMs, attempt, deadline, service, timeoutMs);
          continue;
        }
        if (RETRYABLE_STATUSES.has(response.status) && !last) {
          await pause(baseDelayMs, attempt, deadline, service, timeoutMs);
          continue;
        }
        let answer: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
        try {
          answer = JSON.parse(text);
        } catch {
          throw new ServiceCallError(service, `${service} answered ${response.status}: ${text.slice(0, 200)}`, response.status);
        }
        if (answer.errors?.length || !answer.data) {
          const messages = answer.errors?.map((e) => e.message).join('; ') ?? 'no data';
          throw new ServiceCallError(service, `${service} answered ${response.status}: ${messages}`, response.status, answer.errors ?? []);
        }
        return answer.data as never;
      }
    };

  return { call: (...args) => callAs(randomUUID())(...args), forRequest: callAs };
}

/** Waits before attempt `attempt + 1`: the base delay doubled each time, half of it random (no thundering herd). */
async function pause(baseDelayMs: number, attempt: number, deadline: AbortSignal, service: string, timeoutMs: number): Promise<void> {
  const delay = baseDelayMs * 2 ** (attempt - 1);
  try {
    await sleep(delay / 2 + Math.random() * (delay / 2), undefined, { signal: deadline });
  } catch {
    throw new ServiceCallError(service, `${service} did not answer within ${timeoutMs} ms.`);
  }
}
