/**
 * Calls to subgraphs carry the caller's verified identity, signed with the internal secret, instead of
 * the user's own token: subgraphs trust only what a Care Graph service signed.
 */
import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { type InternalAuth, internalHeaders } from '@care-graph/service-kit';
import type { GatewayContext } from './auth';

export class SignedIdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly internalAuth: InternalAuth;

  constructor(options: { url: string; internalAuth: InternalAuth }) {
    super({ url: options.url });
    this.internalAuth = options.internalAuth;
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const { identity, requestId } = context as Partial<GatewayContext>;
    if (!identity || !requestId) return; // the gateway's own health checks carry no identity
    for (const [name, value] of Object.entries(await internalHeaders(this.internalAuth, identity, requestId)))
      request.http!.headers.set(name, value);
  }
}
