/**
 * Rate limits per identity: a token bucket per token subject (per client address for a request without a valid
 * token), one for each kind of request — `graphql` (HTTP requests to /graphql, SSE streams included), `rosters`
 * (POST /rosters) and `connect` (graphql-ws connections). Refused: 429 with RATE_LIMITED and `Retry-After`
 * (a WebSocket: close 4429 naming the seconds).
 *
 * Settings: `RATE_LIMITS=off` turns them off; `RATE_LIMIT_<KIND>_<WHO>=<burst>,<per second>` sets one, e.g.
 * `RATE_LIMIT_GRAPHQL_PARTNER=200,50` (WHO: ADMIN, PARTNER, SERVICE, ANONYMOUS); `RATE_LIMIT_STORE=memory|redis`
 * (default redis when `REDIS_URL` is set, shared by every gateway instance; else this process's memory).
 */
import { careGraphMode, type Identity, type Logger, type Role } from '@care-graph/service-kit';
import { type BucketRate, type BucketStore, memoryBuckets, redisBuckets } from './token-bucket';

type RateKind = 'graphql' | 'rosters' | 'connect';
type Who = Role | 'anonymous';
const KINDS: readonly RateKind[] = ['graphql', 'rosters', 'connect'];
const WHO: readonly Who[] = ['admin', 'partner', 'service', 'anonymous'];

/**
 * The defaults (burst, then per second). A partner's integration pulling pages back to back stays well inside
 * 20 a second; the admin dashboard and the NDJSON loader inside 100; services (the backfill runner calls its
 * subgraphs directly, not through here) get the most. A request without a valid token is one of an address's
 * attempts to guess one: few.
 */
const DEFAULT_RATES: Readonly<Record<RateKind, Readonly<Record<Who, BucketRate>>>> = {
  graphql: {
    admin: { burst: 500, perSecond: 100 },
    partner: { burst: 100, perSecond: 20 },
    service: { burst: 2000, perSecond: 500 },
    anonymous: { burst: 30, perSecond: 2 },
  },
  rosters: {
    admin: { burst: 30, perSecond: 2 },
    partner: { burst: 10, perSecond: 1 },
    service: { burst: 100, perSecond: 10 },
    anonymous: { burst: 5, perSecond: 0.5 },
  },
  connect: {
    admin: { burst: 100, perSecond: 10 },
    partner: { burst: 30, perSecond: 2 },
    service: { burst: 500, perSecond: 50 },
    anonymous: { burst: 10, perSecond: 1 },
  },
};

/** The setting that holds the rate of `kind` for `who`. */
const settingName = (kind: RateKind, who: Who) => `RATE_LIMIT_${kind.toUpperCase()}_${who.toUpperCase()}`;

function parseRate(name: string, raw: string): BucketRate {
  const match = /^\s*(\d+)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(raw);
  const burst = match ? Number(match[1]) : Number.NaN;
  const perSecond = match ? Number(match[2]) : Number.NaN;
  if (!(burst >= 1 && burst <= 1_000_000 && perSecond > 0 && perSecond <= 1_000_000)) {
    throw new Error(
      `${name} must be "<burst>,<per second>" (e.g. "100,20": 100 at once, 20 a second after); it is ${JSON.stringify(raw)}.`,
    );
  }
  return { burst, perSecond };
}

/** A refused request: the sentence for the client and the seconds to wait. */
export interface RateRefusal {
  message: string;
  retryAfterSeconds: number;
}

export interface RateLimits {
  /**
   * Takes one request of `kind` from `identity`'s bucket (its address's without one): undefined when allowed,
   * else the refusal.
   */
  take(kind: RateKind, identity: Identity | undefined, address: string | undefined): Promise<RateRefusal | undefined>;
  close(): Promise<void>;
}

/** The rate limits `env` configures (see the file's comment); throws naming a setting that is not valid. */
export async function rateLimitsFromEnv(env: NodeJS.ProcessEnv, logger: Logger): Promise<RateLimits> {
  const enabled = (env.RATE_LIMITS ?? 'on').toLowerCase();
  if (enabled !== 'on' && enabled !== 'off')
    throw new Error(`RATE_LIMITS must be "on" or "off"; it is ${JSON.stringify(env.RATE_LIMITS)}.`);
  const rates = {} as Record<RateKind, Record<Who, BucketRate>>;
  for (const kind of KINDS) {
    rates[kind] = { ...DEFAULT_RATES[kind] };
    for (const who of WHO) {
      const raw = env[settingName(kind, who)];
      if (raw !== undefined && raw !== '') rates[kind][who] = parseRate(settingName(kind, who), raw);
    }
  }
  if (enabled === 'off') return { take: async () => undefined, close: async () => undefined };

  const storeName = env.RATE_LIMIT_STORE || (env.REDIS_URL ? 'redis' : 'memory');
  let store: BucketStore;
  if (storeName === 'redis') {
    if (!env.REDIS_URL) throw new Error('RATE_LIMIT_STORE=redis needs REDIS_URL (e.g. redis://127.0.0.1:6379).');
    store = await redisBuckets(env.REDIS_URL, logger);
  } else if (storeName === 'memory') {
    store = memoryBuckets();
    if (careGraphMode(env).mode === 'production') {
      logger.warn(
        'rate limits are kept per gateway instance (no REDIS_URL): with several instances a client gets the limit once per instance',
      );
    }
  } else {
    throw new Error(`RATE_LIMIT_STORE must be "memory" or "redis"; it is ${JSON.stringify(storeName)}.`);
  }
  return {
    async take(kind, identity, address) {
      const who: Who = identity?.role ?? 'anonymous';
      const rate = rates[kind][who];
      const key = identity ? `${kind}:${identity.role}:${identity.subject}` : `${kind}:address:${address ?? 'unknown'}`;
      const taken = await store.take(key, rate);
      if (taken.allowed) return undefined;
      const whose = identity ? 'this token' : 'requests without a valid token from this address';
      return {
        retryAfterSeconds: taken.retryAfterSeconds,
        message: `Too many requests: ${whose} may make ${rate.burst} ${kind === 'connect' ? 'connections' : 'requests'} at once and ${rate.perSecond} a second after (${settingName(kind, who)}). Retry after ${taken.retryAfterSeconds} s.`,
      };
    },
    close: () => store.close(),
  };
}
