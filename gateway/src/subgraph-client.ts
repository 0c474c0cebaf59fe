/**
 * Calls to subgraphs carry the caller's verified identity, signed with the internal secret, instead of
 * the user's own token: subgraphs trust only what a Care Graph service signed.
 */
import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { cancellationOf, type InternalAuth, internalHeaders, PUBLIC_ERROR_CODES, requestSignal } from '@care-graph/service-kit';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './auth';

export class SignedIdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly internalAuth: InternalAuth;

  constructor(options: { url: string; internalAuth: InternalAuth }) {
    // Node's fetch (undici), not the default make-fetch-happen: its agent keeps idle sockets open forever, so
    // a request could go out on a socket the subgraph was closing at its keep-alive timeout (5 s), and fail
    // with "read ECONNRESET" (seen under load in the test suites). undici reads the server's `Keep-Alive:
    // timeout=5` and retires an idle socket before the server does.
    // The request's signal (request-deadline.ts) goes with every fetch: a query whose deadline passed or whose
    // client left sends nothing more, and the fetches in flight are cut, which their subgraphs see and stop on.
    super({ url: options.url, fetcher: ((url: string, init: RequestInit) => fetch(url, { ...init, signal: requestSignal() })) as never });
    this.internalAuth = options.internalAuth;
  }

  /** A fetch cut by the request's cancellation fails with the cancellation's error (DEADLINE_EXCEEDED), not a masked one. */
  override async process(options: Parameters<RemoteGraphQLDataSource<GatewayContext>['process']>[0]) {
    try {
      return await super.process(options);
    } catch (error) {
      throw cancellationOf(error);
    }
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const { identity, requestId } = context as Partial<GatewayContext>;
    if (!identity || !requestId) return; // the gateway's own health checks carry no identity
    for (const [name, value] of Object.entries(await internalHeaders(this.internalAuth, identity, requestId)))
      request.http!.headers.set(name, value);
  }

  /**
   * A subgraph refuses a whole request (HTTP 400) when a variable does not coerce, e.g. a DateTime the
   * gateway passes through as it stands; the subgraph's own error, with its public code, is what the client
   * must read, not a masked "400: Bad Request". Anything else stays Apollo's error (and is masked).
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    if (response.status === 400) {
      const body = (await response
        .clone()
        .json()
        .catch(() => null)) as { errors?: { message?: unknown; extensions?: { code?: unknown } }[] } | null;
      const first = body?.errors?.[0];
      if (
        typeof first?.message === 'string' &&
        typeof first.extensions?.code === 'string' &&
        PUBLIC_ERROR_CODES.has(first.extensions.code)
      ) {
        return new GraphQLError(first.message, { extensions: { code: first.extensions.code, http: { status: 400 } } });
      }
    }
    return super.errorFromResponse(response);
  }
}
