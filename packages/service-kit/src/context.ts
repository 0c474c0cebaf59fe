/**
 * The per-request context every resolver receives, and the role checks type-graphql's `@Authorized` runs.
 */
import type { AuthChecker } from 'type-graphql';
import type { Identity, Role } from './auth';
import type { WatermarkClock } from './watermark';
import { forbidden, unauthenticated } from './errors';

export interface RequestContext {
  identity: Identity;
  /** Correlates logs across the gateway and subgraphs. */
  requestId: string;
  /**
   * The request's watermark (`transactionTime`), taken once per request so that every list in one
   * response is cut at the same instant (and nested lists of many parents batch together).
   */
  watermark(): Promise<Date>;
  /** The service's watermark clock: high-water marks and the last known watermark (fast paths, writes). */
  clock: WatermarkClock;
  /**
   * Calls another Care Graph service's GraphQL API as this service (role `service`), e.g. pop-health
   * recording a roster ingestion in care-requests' data-load feed. Throws on any GraphQL error.
   */
  callService<T = unknown>(service: string, query: string, variables?: Record<string, unknown>): Promise<T>;
}

/**
 * `@Authorized('admin')` allows those roles (`admin` is always allowed: it may do everything).
 * Fails with FORBIDDEN and names the roles that would be allowed.
 */
export const roleAuthChecker: AuthChecker<RequestContext, Role> = ({ context }, roles) => {
  if (!context.identity) throw unauthenticated('Sign in: send a bearer token (npm run token prints one).');
  if (context.identity.role === 'admin' || roles.length === 0 || roles.includes(context.identity.role)) return true;
  throw forbidden(`This needs the ${['admin', ...roles.filter((r) => r !== 'admin')].join(' or ')} role; your token has the ${context.identity.role} role.`);
};

/** Partner tokens see only their own partner: throws FORBIDDEN for any other partner id. */
export function assertPartnerAccess(identity: Identity, partnerId: string): void {
  if (identity.role === 'partner' && identity.partnerId !== partnerId) {
    throw forbidden(`Your token is for partner ${identity.partnerId}; it cannot read partner ${partnerId}.`);
  }
}
