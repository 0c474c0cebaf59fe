/**
 * Calls to subgraphs carry the caller's verified identity, signed with the internal secret, instead of
 * the user's own token: subgraphs trust only what a Care Graph service signed, and each token answers for
 * the one request it was signed for (its method, path and body hash, once).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import {
  cancellationOf,
  type InternalAuth,
  internalHeaders,
  PUBLIC_ERROR_CODES,
  requestSignal,
  requestTarget,
} from '@care-graph/service-kit';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './auth';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherInit = NonNullable<Parameters<Fetcher>[1]>;
type Caller = Pick<GatewayContext, 'identity' | 'requestId'>;

/** The identity the fetch being sent is for: set around `process`, read by the fetcher. */
const caller = new AsyncLocalStorage<Caller>();

export class SignedIdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly internalAuth: InternalAuth;
  /** The subgraph's name, which its tokens are signed for. */
  private readonly service: string;

  constructor(options: { name: string; url: string; internalAuth: InternalAuth }) {
    super({ url: options.url });
    this.internalAuth = options.internalAuth;
    this.service = options.name;
    this.fetcher = (url, init = {}) => this.signedFetch(url, init);
  }

  /**
   * The token must hash the exact bytes sent, and Apollo serialises the body only after `willSendRequest`,
   * inside `sendRequest` (`JSON.stringify` of the request without its `http` part, then `fetcher(url, init)`).
   * So the token is signed in the fetcher, where the final body string and headers are at hand, and nothing
   * here depends on how Apollo builds the body. The fetcher has no context argument; the caller's identity
   * reaches it through an AsyncLocalStorage set around this request's `process` (one data source serves many
   * requests at once, so an instance field would mix them up). Every fetch is signed anew, so a second fetch of
   * one `process` (APQ's) would not reuse a token either.
   */
  override process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const { identity, requestId } = options.context as Partial<GatewayContext>;
    // No identity, no header: the subgraph refuses the call (the gateway makes none of its own).
    if (!identity || !requestId) return caller.exit(() => this.processCancellable(options));
    return caller.run({ identity, requestId }, () => this.processCancellable(options));
  }

  /** A fetch cut by the request's cancellation fails with the cancellation's error (DEADLINE_EXCEEDED), not a masked one. */
  private async processCancellable(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    try {
      return await super.process(options);
    } catch (error) {
      throw cancellationOf(error);
    }
  }

  /**
   * Node's fetch (undici), not the default make-fetch-happen: its agent keeps idle sockets open forever, so
   * a request could go out on a socket the subgraph was closing at its keep-alive timeout (5 s), and fail
   * with "read ECONNRESET" (seen under load in the test suites). undici reads the server's `Keep-Alive:
   * timeout=5` and retires an idle socket before the server does. The request's signal (request-deadline.ts)
   * goes with every fetch: a query whose deadline passed or whose client left sends nothing more, and the
   * fetches in flight are cut, which their subgraphs see and stop on.
   */
  private async signedFetch(url: string, init: FetcherInit): ReturnType<Fetcher> {
    const who = caller.getStore();
    const signed = who
      ? await internalHeaders(this.internalAuth, who.identity, who.requestId, {
          service: this.service,
          use: 'http',
          method: init.method ?? 'GET',
          target: requestTarget(url),
          body: init.body ?? '',
        })
      : {};
    return fetch(url, {
      ...init,
      headers: { ...init.headers, ...signed },
      signal: requestSignal(),
    } as RequestInit) as unknown as ReturnType<Fetcher>;
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
