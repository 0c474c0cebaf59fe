/**
 * A minimal GraphQL-over-HTTP client for typed documents: what the import CLI, the tests and the
 * benchmarks use to talk to the gateway.
 */

import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** The server answered with errors (or a non-GraphQL HTTP failure). */
export class GraphQLRequestError extends Error {
  constructor(
    readonly status: number,
    readonly errors: GraphQLErrorShape[],
    readonly data: unknown = null,
  ) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
  }

  get codes(): string[] {
    return this.errors.map((e) => e.extensions?.code ?? 'ERROR');
  }
}

export interface ClientOptions {
  url: string;
  token?: string;
  headers?: Record<string, string>;
  /** Headers signed for each request's URL and exact body (a call straight to a subgraph: service-kit's `internalSigner`). */
  sign?: (url: string, body: string) => Promise<Record<string, string>>;
}

/** Raw response: `{ status, body }`, never throwing on GraphQL errors. */
export async function post(options: ClientOptions, query: string, variables?: unknown) {
  const body = JSON.stringify({ query, variables });
  const response = await fetch(options.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
      ...(options.sign ? await options.sign(options.url, body) : {}),
    },
    body,
  });
  const text = await response.text();
  let answer: { data?: unknown; errors?: GraphQLErrorShape[] };
  try {
    answer = JSON.parse(text);
  } catch {
    answer = { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 200)}` }] };
  }
  return { status: response.status, body: answer };
}

/** Runs a typed operation; throws GraphQLRequestError when the response has any error. */
export async function request<Result, Variables>(
  options: ClientOptions,
  document: TypedDocumentNode<Result, Variables>,
  ...[variables]: Variables extends Record<string, never> ? [] | [Variables] : [Variables]
): Promise<Result> {
  const { status, body } = await post(options, print(document), variables);
  if (body.errors?.length || !body.data) throw new GraphQLRequestError(status, body.errors ?? [{ message: 'no data' }], body.data);
  return body.data as Result;
}
