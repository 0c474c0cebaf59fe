/**
 * The events a service publishes for subscriptions (a backfill's progress, a finished data load), across
 * every instance of the service: a subscriber connected to one instance gets what another instance
 * published. One bus per service, on @graphql-yoga's event targets (the transports of the pub/sub
 * type-graphql's subscriptions build on), chosen by `PUBSUB` (README, "Configuration"):
 *
 * - `memory`: this process only — embedded mode's default (one instance of each service);
 * - `postgres`: PostgreSQL LISTEN/NOTIFY on the service's own database — the default when that database is
 *   PostgreSQL, so that several instances need nothing more;
 * - `redis`: Redis publish/subscribe (`@graphql-yoga/redis-event-target`, ioredis) at `REDIS_URL` — the
 *   default when `REDIS_URL` is set.
 *
 * Payloads travel as JSON, dates included (they come back as `Date`s). `subscribe` resolves once the
 * subscription is live: whatever is published after it resolves reaches the subscriber, on every
 * transport — a subscriber reads the current state after that, and so misses nothing in between.
 */
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Repeater } from '@graphql-yoga/subscription';
import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from './logger';

type Listener = (event: Event) => void;

export type EventTransport = 'memory' | 'postgres' | 'redis';

export interface EventBus {
  readonly transport: EventTransport;
  /** Publishes `payload` under `topic` to every instance's subscribers; a transport failure is logged, not thrown. */
  publish(topic: string, payload: unknown): void;
  /** The events of `topic` from now on; resolves once the subscription is live. `return()` ends it. */
  subscribe<T>(topic: string): Promise<AsyncIterableIterator<T>>;
  close(): Promise<void>;
}

export interface EventBusOptions {
  service: string;
  env: NodeJS.ProcessEnv;
  /** The service's PostgreSQL URL, when its database is PostgreSQL. */
  postgresUrl?: string;
  logger: Logger;
}

/** The one NOTIFY channel of the postgres transport; each notification carries its topic. */
const CHANNEL = 'care_graph_events';
/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more. */
const MAX_NOTIFY_BYTES = 7_999;
/** Events one subscriber may have waiting; a subscriber that falls further behind is ended with an error. */
const MAX_QUEUED = 1_000;

/** JSON that keeps dates: a `Date` is written as `{"$date": "<ISO>"}` and read back as a `Date`. */
const serializer = {
  stringify: (value: unknown) =>
    JSON.stringify(value, function (this: Record<string, unknown>, key, encoded) {
      const raw = this[key];
      return raw instanceof Date ? { $date: raw.toISOString() } : encoded;
    }),
  parse: (text: string) =>
    JSON.parse(text, (_key, value) =>
      value && typeof value === 'object' && typeof value.$date === 'string' && Object.keys(value).length === 1
        ? new Date(value.$date)
        : value,
    ),
};

/** The transport `PUBSUB` names, or its default (see the file's comment); throws naming what is missing. */
export function eventTransport(env: NodeJS.ProcessEnv, postgresUrl: string | undefined): EventTransport {
  const chosen = env.PUBSUB || (env.REDIS_URL ? 'redis' : postgresUrl ? 'postgres' : 'memory');
  if (chosen !== 'memory' && chosen !== 'postgres' && chosen !== 'redis') {
    throw new Error(`PUBSUB must be memory, postgres or redis; it is ${JSON.stringify(chosen)}.`);
  }
  if (chosen === 'redis' && !env.REDIS_URL) throw new Error('PUBSUB=redis needs REDIS_URL (e.g. redis://127.0.0.1:6379).');
  if (chosen === 'postgres' && !postgresUrl) {
    throw new Error("PUBSUB=postgres needs the service's database on PostgreSQL (<SERVICE>_DATABASE_URL).");
  }
  return chosen;
}

interface Transport {
  target: TypedEventTarget<CustomEvent>;
  /** Resolves once events of `topic` reach the target's listeners (after the listener is added). */
  live(topic: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens the service's bus on the transport its settings choose. */
export async function openEventBus(options: EventBusOptions): Promise<EventBus> {
  const transport = eventTransport(options.env, options.postgresUrl);
  const opened =
    transport === 'redis'
      ? await redisTransport(options.env.REDIS_URL!, options)
      : transport === 'postgres'
        ? await postgresTransport(options.postgresUrl!, options)
        : memoryTransport();
  if (transport !== 'memory') options.logger.info('event bus', { transport });
  return eventBus(transport, opened);
}

/** This process's bus only (tests, and services started without one). */
export function memoryEventBus(): EventBus {
  return eventBus('memory', memoryTransport());
}

function eventBus(transport: EventTransport, opened: Transport): EventBus {
  const { target } = opened;
  return {
    transport,
    publish: (topic, payload) => void target.dispatchEvent(new CustomEvent(topic, { detail: payload })),
    async subscribe<T>(topic: string) {
      // Listening starts now, not at the first `next()` (a Repeater's executor runs lazily), so that nothing
      // published between this call and the subscriber's first read is lost.
      const queue: T[] = [];
      let wake: (() => void) | undefined;
      let overflowed = false;
      const listener = (event: CustomEvent) => {
        if (queue.length >= MAX_QUEUED) overflowed = true;
        else queue.push(event.detail as T);
        wake?.();
      };
      target.addEventListener(topic, listener as Listener);
      await opened.live(topic);
      return new Repeater<T>(async (push, stop) => {
        let stopped = false;
        void stop.then(() => {
          stopped = true;
          wake?.();
        });
        const overflow = () => {
          target.removeEventListener(topic, listener as Listener);
          return new Error(`The subscriber fell ${MAX_QUEUED} events behind on ${topic}; subscribe again.`);
        };
        while (!stopped) {
          while (queue.length && !stopped) {
            if (overflowed) throw overflow();
            await push(queue.shift()!);
          }
          if (overflowed) throw overflow();
          if (stopped) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
        target.removeEventListener(topic, listener as Listener);
      });
    },
    close: () => opened.close(),
  };
}

function memoryTransport(): Transport {
  return { target: new EventTarget() as TypedEventTarget<CustomEvent>, live: async () => undefined, close: async () => undefined };
}

async function redisTransport(url: string, { logger }: EventBusOptions): Promise<Transport> {
  const connect = async (role: string) => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    client.on('error', (error: Error) => logger.warn('redis connection failed; retrying', { role, message: error.message }));
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new Error(`Cannot connect to Redis at REDIS_URL (${redacted(url)}): ${(error as Error).message}`);
    }
    return client;
  };
  const publishClient = await connect('publish');
  const subscribeClient = await connect('subscribe');
  const target = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient, serializer });
  return {
    target,
    // The target has sent SUBSCRIBE for the topic already; Redis answers in order on one connection, so once
    // this (idempotent) SUBSCRIBE is answered, the first one is in force.
    live: async (topic) => void (await subscribeClient.subscribe(topic)),
    async close() {
      subscribeClient.disconnect();
      await publishClient.quit().catch(() => publishClient.disconnect());
    },
  };
}

/**
 * LISTEN/NOTIFY: one connection listens to the channel for the process, whatever the topics; publishing goes
 * through a second. A listening connection that breaks is opened again (events published meanwhile are lost
 * to this instance's subscribers, and logged as such).
 */
async function postgresTransport(url: string, { logger, service }: EventBusOptions): Promise<Transport> {
  const local = new EventTarget();
  const publisher = new pg.Pool({ connectionString: url, max: 1, application_name: `${service} events` });
  publisher.on('error', (error) => logger.warn('event bus publish connection failed', { message: error.message }));
  let listener: pg.Client | undefined;
  let closed = false;
  const listen = async () => {
    const client = new pg.Client({ connectionString: url, application_name: `${service} events` });
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      try {
        const { topic, payload } = serializer.parse(message.payload) as { topic: string; payload: unknown };
        local.dispatchEvent(new CustomEvent(topic, { detail: payload }));
      } catch (error) {
        logger.warn('event bus dropped a malformed notification', { message: (error as Error).message });
      }
    });
    client.on('error', (error) => {
      if (closed) return;
      logger.warn('event bus listening connection broke; listening again (events meanwhile are lost here)', { message: error.message });
      listener = undefined;
      void client.end().catch(() => undefined);
      setTimeout(() => void relisten(), 1_000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listener = client;
  };
  const relisten = async () => {
    if (closed || listener) return;
    await listen().catch((error: Error) => {
      logger.warn('event bus could not listen again; retrying', { message: error.message });
      setTimeout(() => void relisten(), 2_000).unref();
    });
  };
  await listen();

  const target = {
    addEventListener: (topic: string, callback: Listener) => local.addEventListener(topic, callback),
    removeEventListener: (topic: string, callback: Listener) => local.removeEventListener(topic, callback),
    dispatchEvent(event: CustomEvent) {
      const text = serializer.stringify({ topic: event.type, payload: event.detail });
      if (Buffer.byteLength(text) > MAX_NOTIFY_BYTES) {
        logger.error('event too large for NOTIFY; not published', { topic: event.type, bytes: Buffer.byteLength(text) });
        return false;
      }
      publisher
        .query('SELECT pg_notify($1, $2)', [CHANNEL, text])
        .catch((error: Error) => logger.warn('event not published', { topic: event.type, message: error.message }));
      return true;
    },
  } as unknown as TypedEventTarget<CustomEvent>;
  return {
    target,
    live: async () => undefined, // LISTEN was in force before the first subscriber
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
      await publisher.end();
    },
  };
}

/** `url` without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'an unparsable URL';
  }
}
