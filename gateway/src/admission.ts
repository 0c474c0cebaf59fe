/**
 * What a `/graphql` request passes before any GraphQL work: its token is verified once (the context reads the
 * outcome), it takes from its identity's rate-limit bucket, and its body is read only up to its role's size
 * limit — an unauthenticated or partner request cannot make the gateway read 32 MB.
 *
 * Body limits: `BODY_LIMIT_GRAPHQL` (admin and service tokens; default 32mb, what the NDJSON loader's batches
 * need), `BODY_LIMIT_GRAPHQL_PARTNER` (partner tokens and requests without a valid token; default 1mb) and
 * `BODY_LIMIT_ROSTERS` (POST /rosters, streamed; default 1gb). Values in bytes, or with kb, mb or gb.
 */
import { express, type Identity, type TokenVerifier } from '@care-graph/service-kit';
import type { NextFunction, Request, Response } from 'express';
import { clientIpOf } from './audit/audit-log';
import { authenticate } from './auth';
import type { RateLimits, RateRefusal } from './rate-limits/rate-limits';

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** A size setting of `env` in bytes (`123`, `64kb`, `32mb`, `1gb`), at least 1 kb. */
function sizeSetting(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  const raw = env[name] || fallback;
  const match = /^\s*(\d+)\s*(b|kb|mb|gb)?\s*$/i.exec(raw);
  const bytes = match ? Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()] : Number.NaN;
  if (!(bytes >= 1024 && bytes <= 64 * 1024 ** 3)) {
    throw new Error(`${name} must be a size from 1kb to 64gb, in bytes or with kb, mb or gb (e.g. "32mb"); it is ${JSON.stringify(raw)}.`);
  }
  return bytes;
}

export interface BodyLimits {
  graphql: number;
  graphqlPartner: number;
  rosters: number;
}

/** The body size limits of `env` (see the file's comment). */
export function bodyLimits(env: NodeJS.ProcessEnv): BodyLimits {
  return {
    graphql: sizeSetting(env, 'BODY_LIMIT_GRAPHQL', '32mb'),
    graphqlPartner: sizeSetting(env, 'BODY_LIMIT_GRAPHQL_PARTNER', '1mb'),
    rosters: sizeSetting(env, 'BODY_LIMIT_ROSTERS', '1gb'),
  };
}

/** The token's verification, done once per request by `graphqlAdmission`. */
type Authentication = { identity: Identity } | { error: unknown };

/** Sends a rate-limit refusal: 429, `Retry-After`, RATE_LIMITED in the route's error shape. */
export function sendRateRefusal(res: Response, refusal: RateRefusal, shape: 'graphql' | 'route'): void {
  const error = { code: 'RATE_LIMITED', message: refusal.message };
  res
    .status(429)
    .set('Retry-After', String(refusal.retryAfterSeconds))
    .json(
      shape === 'graphql'
        ? { errors: [{ message: refusal.message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: refusal.retryAfterSeconds } }] }
        : { error: { ...error, retryAfterSeconds: refusal.retryAfterSeconds } },
    );
}

/** The `/graphql` admission middleware (see the file's comment). */
export function graphqlAdmission(options: {
  verifier: TokenVerifier;
  rateLimits: RateLimits;
  bodyLimits: BodyLimits;
  /** TRUST_PROXY: the client's address is X-Forwarded-For's first (the audit log's rule). */
  trustProxy: boolean;
}) {
  const parseLarge = express.json({ limit: options.bodyLimits.graphql });
  const parseSmall = express.json({ limit: options.bodyLimits.graphqlPartner });
  return async (req: Request, res: Response, next: NextFunction) => {
    let authentication: Authentication;
    try {
      authentication = { identity: await authenticate(options.verifier, req.headers.authorization) };
    } catch (error) {
      authentication = { error };
    }
    res.locals.authentication = authentication;
    const identity = 'identity' in authentication ? authentication.identity : undefined;
    const refusal = await options.rateLimits.take('graphql', identity, clientIpOf(req, options.trustProxy) ?? undefined);
    if (refusal) {
      // The body is not read: the socket closes after the answer rather than draining an unread upload.
      res.set('Connection', 'close');
      sendRateRefusal(res, refusal, 'graphql');
      return;
    }
    (identity && identity.role !== 'partner' ? parseLarge : parseSmall)(req, res, next);
  };
}

/** The identity `graphqlAdmission` verified for this request; throws its refusal (UNAUTHENTICATED) if there was none. */
export function admittedIdentity(res: Response): Identity {
  const authentication = res.locals.authentication as Authentication | undefined;
  if (!authentication) throw new Error('graphqlAdmission must run before the GraphQL handler');
  if ('error' in authentication) throw authentication.error;
  return authentication.identity;
}
