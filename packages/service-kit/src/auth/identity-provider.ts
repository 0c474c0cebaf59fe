/**
 * User tokens from a real identity provider (Keycloak, Auth0, Entra ID, …): how the gateway finds the keys,
 * which tokens it accepts, and how their claims become a Care Graph identity.
 *
 * - Keys: the provider's JWKS at `AUTH_JWKS_URL`, cached for `AUTH_JWKS_CACHE_SECONDS`. A token whose `kid` is not
 *   in the cached set makes the gateway fetch the set again (the provider rotated its keys), at most once per
 *   `AUTH_JWKS_COOLDOWN_SECONDS`, so a flood of made-up `kid`s cannot turn the gateway against the provider.
 * - Tokens: signed with one of `AUTH_ALGORITHMS` (RS256, ES256, EdDSA by default; never HS256 or `none`), from
 *   `AUTH_ISSUER` for `AUTH_AUDIENCE`, with `exp` and `sub`; `exp`/`nbf` are checked allowing
 *   `AUTH_CLOCK_SKEW_SECONDS` of clock difference.
 * - Claims: the role is read at `AUTH_ROLE_CLAIM` (a dotted path, e.g. `realm_access.roles` for Keycloak, `roles`
 *   for Entra ID, a namespaced claim for Auth0), a string or a list; `AUTH_ROLE_MAP` names which provider roles
 *   mean admin, partner and service. A partner's partner is read at `AUTH_PARTNER_CLAIM`.
 */
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { unauthenticated } from '../graphql/errors';
import { integerSetting } from '../server/config';
import { type Identity, ROLES, type Role } from './roles';

/** Asymmetric algorithms only: a shared-secret (HS*) token could be minted by anyone who holds the secret. */
const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const DEFAULT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

export interface IdentityProviderSettings {
  jwksUrl: URL;
  issuer: string;
  audience: string;
  algorithms: string[];
  clockSkewSeconds: number;
  jwksCacheSeconds: number;
  jwksCooldownSeconds: number;
  /** Dotted path of the claim holding the role(s). */
  roleClaim: string;
  /** Provider role → Care Graph role. */
  roleMap: ReadonlyMap<string, Role>;
  partnerClaim: string;
}

/** The identity provider's settings from `env`; throws a sentence naming the setting when one is malformed. */
export function identityProviderSettings(env: NodeJS.ProcessEnv, defaultAudience: string): IdentityProviderSettings {
  const raw = env.AUTH_JWKS_URL;
  if (!raw) throw new Error('AUTH_JWKS_URL is not set.');
  let jwksUrl: URL;
  try {
    jwksUrl = new URL(raw);
  } catch {
    throw new Error(`AUTH_JWKS_URL must be a URL (https://…/jwks.json); it is ${JSON.stringify(raw)}.`);
  }
  if (jwksUrl.protocol !== 'https:' && jwksUrl.protocol !== 'http:')
    throw new Error(`AUTH_JWKS_URL must be an http(s) URL; it is ${JSON.stringify(raw)}.`);
  if (!env.AUTH_ISSUER) throw new Error('AUTH_ISSUER must be set together with AUTH_JWKS_URL.');

  const algorithms = (env.AUTH_ALGORITHMS ?? DEFAULT_ALGORITHMS.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = algorithms.filter((name) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(name));
  if (unknown.length || algorithms.length === 0)
    throw new Error(`AUTH_ALGORITHMS may name ${SUPPORTED_ALGORITHMS.join(', ')}; it is ${JSON.stringify(env.AUTH_ALGORITHMS)}.`);

  return {
    jwksUrl,
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE ?? defaultAudience,
    algorithms,
    clockSkewSeconds: integerSetting(env, 'AUTH_CLOCK_SKEW_SECONDS', 60, 0, 600),
    jwksCacheSeconds: integerSetting(env, 'AUTH_JWKS_CACHE_SECONDS', 600, 1, 86_400),
    jwksCooldownSeconds: integerSetting(env, 'AUTH_JWKS_COOLDOWN_SECONDS', 30, 0, 3_600),
    roleClaim: env.AUTH_ROLE_CLAIM || 'role',
    roleMap: roleMap(env.AUTH_ROLE_MAP),
    partnerClaim: env.AUTH_PARTNER_CLAIM || 'partner_id',
  };
}

/** `AUTH_ROLE_MAP`: `providerRole=careGraphRole` pairs, comma-separated; unset, each Care Graph role maps to itself. */
function roleMap(raw: string | undefined): Map<string, Role> {
  const map = new Map<string, Role>();
  if (raw === undefined || raw.trim() === '') {
    for (const role of ROLES) map.set(role, role);
    return map;
  }
  for (const pair of raw.split(',')) {
    const [from, to, ...rest] = pair.split('=').map((part) => part.trim());
    if (!from || !to || rest.length || !ROLES.includes(to as Role)) {
      throw new Error(
        `AUTH_ROLE_MAP must be providerRole=role pairs separated by commas, each role one of ${ROLES.join(', ')}; "${pair.trim()}" is not.`,
      );
    }
    map.set(from, to as Role);
  }
  return map;
}

/** The provider's signing keys, cached and refetched on an unknown `kid` no more often than the cooldown. */
export function providerKeys(settings: IdentityProviderSettings): JWTVerifyGetKey {
  return createRemoteJWKSet(settings.jwksUrl, {
    cacheMaxAge: settings.jwksCacheSeconds * 1000,
    cooldownDuration: settings.jwksCooldownSeconds * 1000,
    timeoutDuration: 5_000,
  });
}

/** The value at a dotted path of `claims`; a key that itself contains dots (Auth0's URL claims) is tried whole first. */
function claimAt(claims: JWTPayload, path: string): unknown {
  if (path in claims) return claims[path];
  let value: unknown = claims;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The Care Graph role a provider's token carries: exactly one of its roles must be mapped. */
function roleFromProviderClaims(claims: JWTPayload, settings: Pick<IdentityProviderSettings, 'roleClaim' | 'roleMap'>): Role {
  const value = claimAt(claims, settings.roleClaim);
  const names = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  const roles = [...new Set(names.map((name) => settings.roleMap.get(name)).filter((role): role is Role => role !== undefined))];
  if (roles.length === 0) {
    throw unauthenticated(
      `The token carries no Care Graph role in its ${settings.roleClaim} claim (expected one of ${[...settings.roleMap.keys()].join(', ')}).`,
    );
  }
  if (roles.length > 1) {
    throw unauthenticated(`The token's ${settings.roleClaim} claim maps to several roles (${roles.join(', ')}); a token must have one.`);
  }
  return roles[0];
}

/** A provider token's claims as the identity the gateway passes on, or UNAUTHENTICATED saying what is missing. */
export function identityFromProviderClaims(claims: JWTPayload, settings: IdentityProviderSettings, email: { email?: string }): Identity {
  const role = roleFromProviderClaims(claims, settings);
  if (typeof claims.sub !== 'string' || claims.sub === '') throw unauthenticated('The token must name its subject (the sub claim).');
  if (role !== 'partner') return { subject: claims.sub, role, ...email };
  const partnerId = claimAt(claims, settings.partnerClaim);
  if (typeof partnerId !== 'string' || partnerId === '') {
    throw unauthenticated(`A partner token must name its partner in the ${settings.partnerClaim} claim.`);
  }
  return { subject: claims.sub, role, partnerId, ...email };
}
