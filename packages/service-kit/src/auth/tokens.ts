/**
 * User tokens and the internal identity (and request id) that travel between services.
 *
 * Users present a JWT to the gateway (EdDSA; signed by the embedded dev key, or by the identity
 * provider behind `AUTH_JWKS_URL` in production). The gateway never forwards that token: it re-states the
 * verified identity in a short-lived token signed with the internal secret that only Care Graph services
 * hold, so a subgraph can trust the identity and refuses any call that did not come through that path.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
  type KeyLike,
  SignJWT,
} from 'jose';
import { unauthenticated } from '../graphql/errors';
import { integerSetting } from '../server/config';
import { assertEmbeddedMode, MIN_INTERNAL_SECRET_LENGTH } from '../server/mode';
import { identityFromProviderClaims, identityProviderSettings, providerKeys } from './identity-provider';
import { type Identity, ROLES, type Role } from './roles';
import { Sealer } from './sealing';

/** The header that carries the gateway-signed identity to subgraphs. */
export const IDENTITY_HEADER = 'x-care-graph-identity';
/** The header that correlates one request's logs across the gateway and the services it reaches. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** Longest request id taken from a caller (they end up in every log line). */
const MAX_REQUEST_ID_LENGTH = 100;
const DEV_ISSUER = 'care-graph-dev';
const AUDIENCE = 'care-graph';
const INTERNAL_AUDIENCE = 'care-graph-internal';
const INTERNAL_ISSUER = 'care-graph-gateway';
/**
 * Internal identity tokens live only as long as one request takes to reach a subgraph: the default of
 * `INTERNAL_TOKEN_TTL_SECONDS`, and the longest lifetime a subgraph accepts whatever the signer's setting.
 */
const DEFAULT_INTERNAL_TTL_SECONDS = 60;
const MAX_INTERNAL_TTL_SECONDS = 300;
/** Token ids a subgraph remembers at most (see ReplayCache). */
const DEFAULT_REPLAY_CACHE_SIZE = 100_000;

function keysDir(dataDir: string) {
  return path.join(dataDir, 'keys');
}

async function readOrCreate(file: string, create: () => Promise<string>): Promise<string> {
  const existing = await readFile(file, 'utf8').catch(() => null);
  if (existing !== null) return existing;
  await mkdir(path.dirname(file), { recursive: true });
  const content = await create();
  // `wx` makes concurrent first starts agree on one key: the loser reads the winner's file.
  try {
    await writeFile(file, content, { flag: 'wx', mode: 0o600 });
    await chmod(file, 0o600);
    return content;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFile(file, 'utf8');
    throw error;
  }
}

/**
 * The embedded dev signing key for user tokens (created on first use under `<dataDir>/keys/`). Throws in
 * production mode (as `env` says), where only the identity provider's keys are trusted.
 */
export async function devSigningKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  assertEmbeddedMode('The dev signing key', env);
  const text = await readOrCreate(path.join(keysDir(dataDir), 'token-signing.jwk.json'), async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = await exportJWK(privateKey);
    return JSON.stringify({ ...jwk, alg: 'EdDSA', kid: `dev-${randomBytes(4).toString('hex')}` }, null, 2);
  });
  const privateJwk = JSON.parse(text) as JWK;
  const { d: _private, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
}

/**
 * The internal secret: `INTERNAL_AUTH_SECRET`, else (embedded mode only; production throws) the per-host
 * dev secret under `<dataDir>/keys/`.
 */
export async function internalSecret(env: NodeJS.ProcessEnv, dataDir: string): Promise<Uint8Array> {
  const configured = env.INTERNAL_AUTH_SECRET;
  if (configured !== undefined) {
    if (configured.length < MIN_INTERNAL_SECRET_LENGTH) {
      throw new Error(`INTERNAL_AUTH_SECRET must be at least ${MIN_INTERNAL_SECRET_LENGTH} characters.`);
    }
    return new TextEncoder().encode(configured);
  }
  assertEmbeddedMode('A per-host internal secret', env);
  const text = await readOrCreate(path.join(keysDir(dataDir), 'internal.secret'), async () => randomBytes(32).toString('base64url'));
  return new TextEncoder().encode(text.trim());
}

/** Longest `email` claim kept (RFC 5321's limit on a path); a longer or non-string claim is ignored, not refused. */
const MAX_EMAIL_LENGTH = 254;

/** The claims that carry an identity, in a user token and in the internal token alike. */
function identityClaims(identity: Identity): Record<string, string> {
  return {
    role: identity.role,
    ...(identity.partnerId ? { partner_id: identity.partnerId } : {}),
    ...(identity.email ? { email: identity.email } : {}),
  };
}

/** The `email` claim when it is one worth keeping. */
function emailClaim(claims: Record<string, unknown>): { email?: string } {
  return typeof claims.email === 'string' && claims.email !== '' && claims.email.length <= MAX_EMAIL_LENGTH ? { email: claims.email } : {};
}

function identityFromClaims(claims: Record<string, unknown>): Identity {
  const role = claims.role;
  if (typeof role !== 'string' || !ROLES.includes(role as Role)) {
    throw unauthenticated(`The token's role must be one of ${ROLES.join(', ')}.`);
  }
  const subject = typeof claims.sub === 'string' ? claims.sub : role;
  const email = emailClaim(claims);
  if (role === 'partner') {
    if (typeof claims.partner_id !== 'string' || claims.partner_id === '') {
      throw unauthenticated('A partner token must name its partner in the partner_id claim.');
    }
    return { subject, role, partnerId: claims.partner_id, ...email };
  }
  return { subject, role: role as Role, ...email };
}

/** Verifies users' bearer tokens at the gateway. */
export interface TokenVerifier {
  verify(token: string): Promise<Identity>;
}

/**
 * The gateway's verifier of user tokens: the identity provider's keys (`AUTH_JWKS_URL`, `AUTH_ISSUER`) or, in
 * embedded mode only, the dev key. A token it does not accept is UNAUTHENTICATED with the reason.
 */
export async function createTokenVerifier(env: NodeJS.ProcessEnv, dataDir: string): Promise<TokenVerifier> {
  if (env.AUTH_JWKS_URL) {
    const settings = identityProviderSettings(env, AUDIENCE);
    return verifierOf(
      providerKeys(settings),
      {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: settings.algorithms,
        clockTolerance: settings.clockSkewSeconds,
        requiredClaims: ['exp', 'sub'],
      },
      (claims) => identityFromProviderClaims(claims, settings, emailClaim(claims)),
      'Get a new one from your identity provider.',
    );
  }
  const key = (await importJWK((await devSigningKey(dataDir, env)).publicJwk, 'EdDSA')) as KeyLike;
  return verifierOf(
    key,
    { issuer: DEV_ISSUER, audience: env.AUTH_AUDIENCE ?? AUDIENCE, algorithms: ['EdDSA'], requiredClaims: ['exp'] },
    identityFromClaims,
    'Get a new one with "npm run token".',
  );
}

/** A verifier: the signature and standard claims by `options` (a token without `exp` is refused, whoever signed it), then `identity`. */
function verifierOf(
  key: KeyLike | JWTVerifyGetKey,
  options: JWTVerifyOptions,
  identity: (claims: JWTPayload) => Identity,
  howToRenew: string,
): TokenVerifier {
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key as never, options);
        return identity(payload);
      } catch (error) {
        if ((error as { extensions?: unknown }).extensions) throw error;
        throw unauthenticated(`The bearer token is not valid (${(error as Error).message}). ${howToRenew}`);
      }
    },
  };
}

/**
 * Signs a user token with the embedded dev key (what `npm run token` prints), valid `ttlSeconds` (default 12
 * hours). Throws in production mode, as `env` (default the process's) says.
 */
export async function signDevToken(
  dataDir: string,
  identity: Identity,
  { ttlSeconds = 12 * 3600, env = process.env }: { ttlSeconds?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const { privateJwk } = await devSigningKey(dataDir, env);
  const key = await importJWK(privateJwk, 'EdDSA');
  return new SignJWT(identityClaims(identity))
    .setProtectedHeader({ alg: 'EdDSA', kid: privateJwk.kid })
    .setSubject(identity.subject)
    .setIssuer(DEV_ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key);
}

/**
 * What an internal token is for: a call to `service` (the callee's name, e.g. `partners`; every subgraph
 * serves `/graphql`, so the path alone would let a token for one be spent at another). `target` is the
 * request target: the path and the query string, as the
 * callee sees it (`/graphql`, `/rosters?partnerId=p-1&kind=CURRENT`); the host is left out, as in DPoP, because
 * proxies and container networks name the same service differently.
 * - `http` with `body`: a call whose body the callee reads whole (GraphQL over HTTP); the token carries
 *   `bh`, the sha256 of exactly these bytes, so it answers for this one query and its variables.
 * - `http` without `body`: a streamed body (the roster upload) that neither side buffers, so it cannot be
 *   hashed before it is sent; the token is bound to the method and the target with its query string.
 * - `ws`: a graphql-ws `connection_init` at `target`; a WebSocket token is never accepted over HTTP and an
 *   HTTP one never at connection_init.
 * Every token has a `jti` that a subgraph accepts once (see ReplayCache).
 */
export type InternalCall = { service: string } & (
  | { use: 'http'; method: string; target: string; body?: string | Uint8Array }
  | { use: 'ws'; target: string }
);

/** The request target (path and query string) of `url`, which is what a callee compares a token's `htu` with. */
export function requestTarget(url: string | URL): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return `${parsed.pathname}${parsed.search}`;
}

/** base64url sha256 of `body`'s bytes (a string counts as its UTF-8 bytes, which is what fetch sends). */
export function bodyHash(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

/**
 * The ids of the internal tokens a subgraph has accepted, each kept until its token expires, so that a
 * captured header cannot be sent a second time. In memory, per process: another instance of the same
 * service does not know what this one saw, but there a replayed token still answers only for the request it
 * was signed for (its method, target and body hash), so it cannot be turned into another query within its
 * lifetime. Bounded: when full, the ids closest to expiry go first (only correctly signed tokens are ever
 * recorded, so only the services' own traffic fills it).
 */
export class ReplayCache {
  /** jti → expiry (ms). A Map iterates in insertion order, which is close to expiry order. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = DEFAULT_REPLAY_CACHE_SIZE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records `jti` (valid until `expiresAtMs`); false when it was already recorded and has not expired. */
  claim(jti: string, expiresAtMs: number): boolean {
    const now = this.now();
    const known = this.seen.get(jti);
    if (known !== undefined && known > now) return false;
    this.seen.delete(jti);
    for (const [id, expiry] of this.seen) {
      if (expiry > now && this.seen.size < this.maxEntries) break;
      this.seen.delete(id);
    }
    this.seen.set(jti, expiresAtMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

export interface InternalAuthOptions {
  /** Lifetime of the tokens this service signs (`INTERNAL_TOKEN_TTL_SECONDS`, default 60). */
  ttlSeconds?: number;
  /** Token ids remembered at most (default 100,000). */
  replayCache?: ReplayCache;
}

/** Signs and verifies the identity that travels between Care Graph services, each token bound to one call. */
export class InternalAuth {
  private readonly ttlSeconds: number;
  private readonly replays: ReplayCache;

  constructor(
    private readonly secret: Uint8Array,
    options: InternalAuthOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_INTERNAL_TTL_SECONDS;
    this.replays = options.replayCache ?? new ReplayCache();
  }

  /** A sealer for `purpose` under this secret (see sealing.ts): only Care Graph services can open what it seals. */
  sealer(purpose: string): Sealer {
    return new Sealer(this.secret, purpose);
  }

  static async fromEnv(env: NodeJS.ProcessEnv, dataDir: string): Promise<InternalAuth> {
    return new InternalAuth(await internalSecret(env, dataDir), { ttlSeconds: internalTokenTtlSeconds(env) });
  }

  /** A token stating `identity` (and `requestId`) for the one call `call` (see InternalCall). */
  sign(identity: Identity, requestId: string | undefined, call: InternalCall): Promise<string> {
    const binding =
      call.use === 'ws'
        ? { svc: call.service, use: 'ws', htm: 'GET', htu: call.target }
        : {
            svc: call.service,
            use: 'http',
            htm: call.method.toUpperCase(),
            htu: call.target,
            ...(call.body !== undefined ? { bh: bodyHash(call.body) } : {}),
          };
    return new SignJWT({ ...identityClaims(identity), ...(requestId ? { rid: requestId } : {}), ...binding })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(identity.subject)
      .setIssuer(INTERNAL_ISSUER)
      .setAudience(INTERNAL_AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.secret);
  }

  /**
   * Throws UNAUTHENTICATED unless the header was signed by a Care Graph service, for the call `call` as this
   * service received it (for `http` with `body`, the raw bytes it read), and has not been used before.
   */
  async verify(token: string | undefined, call: InternalCall): Promise<{ identity: Identity; requestId?: string }> {
    if (!token) {
      throw unauthenticated(`Subgraphs accept only calls from the Care Graph gateway or services (missing ${IDENTITY_HEADER} header).`);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.secret, {
        issuer: INTERNAL_ISSUER,
        audience: INTERNAL_AUDIENCE,
        algorithms: ['HS256'],
        // No check of `iat` against this host's clock (jose's maxTokenAge refuses an `iat` a second ahead, i.e. any
        // skew between hosts): the lifetime is bounded by `exp - iat` below, and `exp` by the clock as before.
        requiredClaims: ['exp', 'iat', 'jti'],
      }));
    } catch (error) {
      throw unauthenticated(`The ${IDENTITY_HEADER} header is not valid (${(error as Error).message}).`);
    }
    const identity = identityFromClaims(payload);
    if (payload.exp! - payload.iat! > MAX_INTERNAL_TTL_SECONDS) {
      throw unauthenticated(`The ${IDENTITY_HEADER} header lives longer than ${MAX_INTERNAL_TTL_SECONDS} seconds.`);
    }
    checkBinding(payload, call);
    if (!this.replays.claim(payload.jti!, payload.exp! * 1000)) {
      throw unauthenticated(`The ${IDENTITY_HEADER} header was already used (replayed); each one is good for one call.`);
    }
    return { identity, requestId: typeof payload.rid === 'string' ? payload.rid : undefined };
  }
}

/** `INTERNAL_TOKEN_TTL_SECONDS` of `env`: a whole number of seconds from 5 to 300, default 60. */
export function internalTokenTtlSeconds(env: NodeJS.ProcessEnv): number {
  return integerSetting(env, 'INTERNAL_TOKEN_TTL_SECONDS', DEFAULT_INTERNAL_TTL_SECONDS, 5, MAX_INTERNAL_TTL_SECONDS);
}

/** Throws UNAUTHENTICATED unless the token's `svc`, `use`, `htm`, `htu` and `bh` claims are those of `call`. */
function checkBinding(payload: JWTPayload, call: InternalCall): void {
  if (payload.svc !== call.service) {
    throw unauthenticated(`The ${IDENTITY_HEADER} header was signed for a call to another service, not to ${call.service}.`);
  }
  if (payload.use !== call.use) {
    const kind = (use: unknown) => (use === 'ws' ? 'a WebSocket connection' : use === 'http' ? 'an HTTP request' : 'no known use');
    throw unauthenticated(`The ${IDENTITY_HEADER} header was signed for ${kind(payload.use)}, not for ${kind(call.use)}.`);
  }
  const method = call.use === 'ws' ? 'GET' : call.method.toUpperCase();
  if (payload.htm !== method || payload.htu !== call.target) {
    throw unauthenticated(`The ${IDENTITY_HEADER} header was signed for another request (method or path).`);
  }
  if (call.use === 'http' && call.body !== undefined && payload.bh !== bodyHash(call.body)) {
    throw unauthenticated(`The ${IDENTITY_HEADER} header was signed for another request body.`);
  }
}

/** What a caller's request id may hold: an id's characters only, no spaces or free text. */
const REQUEST_ID = new RegExp(`^[A-Za-z0-9._:-]{1,${MAX_REQUEST_ID_LENGTH}}$`);
const SSN_SHAPED = /(?:^|[^A-Za-z0-9])\d{3}[-.]?\d{2}[-.]?\d{4}(?:$|[^A-Za-z0-9])/;

/**
 * The request id a caller sent in `x-request-id`, or a new one. It ends up in every log line of the request,
 * so a caller's id is kept only when it cannot carry a person's data: at most 100 of `A–Z a–z 0–9 . _ : -`,
 * and no SSN-shaped part (nine digits, dashes or dots allowed, standing on their own; the digits inside a
 * UUID's segments never do). Anything else is replaced, not cut.
 */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const sent = headers[REQUEST_ID_HEADER];
  const acceptable = typeof sent === 'string' && REQUEST_ID.test(sent) && !SSN_SHAPED.test(sent);
  return acceptable ? sent : randomUUID();
}

/**
 * The headers one call `call` to a Care Graph service carries: the identity signed with the internal secret
 * for that call (the request id inside it, which is what the callee trusts) and the request id in the clear
 * for proxies and logs. Sign again for every request sent, retries included: a subgraph takes a token once.
 */
export async function internalHeaders(
  auth: InternalAuth,
  identity: Identity,
  requestId: string,
  call: InternalCall,
): Promise<Record<string, string>> {
  return { [IDENTITY_HEADER]: await auth.sign(identity, requestId, call), [REQUEST_ID_HEADER]: requestId };
}

/** Signs the headers of one POST of `body` to `url`; see internalSigner. */
export type SignCall = (url: string, body: string) => Promise<Record<string, string>>;

/**
 * The headers of each GraphQL POST made straight to subgraph `service` as `identity` (tests, benchmarks, tools):
 * a new token for every call, bound to its URL's target and its body, under `requestId` (default: a new one
 * per call).
 */
export function internalSigner(auth: InternalAuth, identity: Identity, service: string, requestId?: string): SignCall {
  return (url, body) =>
    internalHeaders(auth, identity, requestId ?? randomUUID(), { service, use: 'http', method: 'POST', target: requestTarget(url), body });
}
