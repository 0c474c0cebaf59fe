/**
 * Gateway authentication: every GraphQL request carries a bearer token; the verified identity goes into
 * the context, and from there (re-signed) to the subgraphs.
 */
import { type Identity, type TokenVerifier, unauthenticated } from '@care-graph/service-kit';

export interface GatewayContext {
  identity: Identity;
  /** Correlates the gateway's and the subgraphs' logs for one request. */
  requestId: string;
  /** Where the request came from, for the audit log: the client's address and the transport (default http). */
  clientIp?: string | null;
  transport?: 'http' | 'graphql-ws' | 'sse';
}

export async function authenticate(verifier: TokenVerifier, authorization: string | undefined): Promise<Identity> {
  if (!authorization) {
    throw unauthenticated('Sign in: send "Authorization: Bearer <token>". In embedded mode, `npm run token -- admin` prints one.');
  }
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".');
  return verifier.verify(match[1]);
}
