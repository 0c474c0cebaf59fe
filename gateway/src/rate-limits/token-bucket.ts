/**
 * Token buckets: each key holds up to `burst` tokens and gains `perSecond` a second; a request takes one or
 * waits. Two stores with one contract: in this process's memory (embedded mode, or one gateway), and in Redis,
 * where every gateway instance takes from the same bucket (production with `REDIS_URL`).
 */
import type { Logger } from '@care-graph/service-kit';
import { Redis } from 'ioredis';

/** How fast a bucket fills and how much it holds. */
export interface BucketRate {
  burst: number;
  perSecond: number;
}

/** A take: allowed, or refused with the whole seconds until a token is there again (the `Retry-After`). */
type Take = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface BucketStore {
  /** Takes one token from `key`'s bucket, which holds `rate` (a bucket never seen is full). */
  take(key: string, rate: BucketRate): Promise<Take>;
  close(): Promise<void>;
}

const refused = (missing: number, rate: BucketRate): Take => ({
  allowed: false,
  retryAfterSeconds: Math.max(1, Math.ceil(missing / rate.perSecond)),
});

/**
 * Buckets in this process. A bucket that has filled up again is the same as none, so buckets are dropped once
 * full: memory follows the clients active in the last `burst / perSecond` seconds, not every client ever seen.
 */
export function memoryBuckets(now: () => number = () => performance.now()): BucketStore {
  const buckets = new Map<string, { tokens: number; at: number; fullAt: number }>();
  let nextSweep = now() + 10_000;
  return {
    async take(key, rate) {
      const at = now();
      if (at >= nextSweep) {
        for (const [k, bucket] of buckets) if (bucket.fullAt <= at) buckets.delete(k);
        nextSweep = at + 10_000;
      }
      const bucket = buckets.get(key);
      const tokens = bucket ? Math.min(rate.burst, bucket.tokens + ((at - bucket.at) / 1000) * rate.perSecond) : rate.burst;
      if (tokens < 1) return refused(1 - tokens, rate);
      const left = tokens - 1;
      buckets.set(key, { tokens: left, at, fullAt: at + ((rate.burst - left) / rate.perSecond) * 1000 });
      return { allowed: true };
    },
    async close() {
      buckets.clear();
    },
  };
}

/**
 * One bucket's take, atomically in Redis, on Redis's clock (so instances with skewed clocks agree). The key
 * expires once its bucket would be full again. Returns { allowed (1/0), milliseconds until a token }.
 */
const TAKE_SCRIPT = `
local burst = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2]) / 1000
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
if tokens == nil then tokens = burst else tokens = math.min(burst, tokens + (now - tonumber(state[2])) * perMs) end
if tokens < 1 then return { 0, math.ceil((1 - tokens) / perMs) } end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / perMs) + 1000)
return { 1, 0 }
`;

/**
 * Buckets in Redis at `url`, shared by every gateway instance; connected before it resolves (a gateway that
 * cannot reach Redis at start says so and does not start). When Redis cannot answer later, requests are let
 * through (logged, at most once a minute): an outage of the limiter must not become an outage of the API.
 */
export async function redisBuckets(url: string, logger: Logger, prefix = 'care-graph:rate:'): Promise<BucketStore> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
  redis.on('error', () => undefined); // reported where a take fails
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Cannot connect to Redis for the rate limits at REDIS_URL (${new URL(url).host}): ${(error as Error).message}`);
  }
  let lastWarning = Number.NEGATIVE_INFINITY;
  return {
    async take(key, rate) {
      try {
        const [allowed, waitMs] = (await redis.eval(TAKE_SCRIPT, 1, prefix + key, rate.burst, rate.perSecond)) as [number, number];
        return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
      } catch (error) {
        if (performance.now() - lastWarning > 60_000) {
          lastWarning = performance.now();
          logger.warn('rate limiter cannot reach Redis; requests are not limited meanwhile', { message: (error as Error).message });
        }
        return { allowed: true };
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
