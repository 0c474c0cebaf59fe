/**
 * Who may do what. One rule, stated once, for GraphQL fields (`@Authorized`, through `roleAuthChecker`)
 * and for a service's plain HTTP routes alike: `admin` may do everything; any other role must be among
 * the roles the resource names.
 */
import type { AuthCheckerFn } from 'type-graphql';
import { forbidden, unauthenticated } from '../graphql/errors';

export type Role = 'admin' | 'partner' | 'service';
export const ROLES: readonly Role[] = ['admin', 'partner', 'service'];

/** Who is asking: the verified subject, its role and, for partner tokens, the one partner it may see. */
export interface Identity {
  subject: string;
  role: Role;
  partnerId?: string;
  /** The user's `email` claim, when the token has one (where a backfill's finish email goes). */
  email?: string;
}

/**
 * Throws unless `identity` may use a resource open to `allowed` (admin always may; no roles named: any
 * signed-in identity). UNAUTHENTICATED without an identity; FORBIDDEN naming the roles that would be allowed.
 */
export function authorize(identity: Identity | undefined, allowed: readonly Role[]): void {
  if (!identity) throw unauthenticated('Sign in: send a bearer token (npm run token prints one).');
  if (identity.role === 'admin' || allowed.length === 0 || allowed.includes(identity.role)) return;
  throw forbidden(
    `This needs the ${['admin', ...allowed.filter((r) => r !== 'admin')].join(' or ')} role; your token has the ${identity.role} role.`,
  );
}

/** type-graphql's check behind `@Authorized(...roles)`: the rule of `authorize`. */
export const roleAuthChecker: AuthCheckerFn<{ identity?: Identity }, Role> = ({ context }, roles) => {
  authorize(context.identity, roles);
  return true;
};

/** Whether `identity` may see partner `partnerId`'s data: partner tokens see only their own partner. */
export function canSeePartner(identity: Identity, partnerId: string): boolean {
  return identity.role !== 'partner' || identity.partnerId === partnerId;
}

/**
 * Throws FORBIDDEN unless `identity` may see partner `partnerId`'s data. The message names nothing: a partner
 * must not learn another partner's ids. Lookups by id answer a foreign id as a missing one instead
 * (`canSeePartner`); this is for what a partner token cannot reach without already holding the resource.
 */
export function assertPartnerAccess(identity: Identity, partnerId: string): void {
  if (!canSeePartner(identity, partnerId)) throw forbidden('Your token cannot read this; it reads its own partner only.');
}
