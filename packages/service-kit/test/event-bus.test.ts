/**
 * The event bus (event-bus.ts) on each transport it has here: in memory, PostgreSQL LISTEN/NOTIFY when
 * TEST_POSTGRES_URL is set, Redis when TEST_REDIS_URL is set. Two buses on one PostgreSQL database or one Redis
 * stand for two instances of a service: what one publishes, a subscriber of the other gets — in order, dates as
 * dates, nothing published after `subscribe` resolved is lost, nothing after `return()` arrives.
 */

import { freshPostgresDatabase } from '../../../scripts/in-process-graph';
import { type EventBus, eventTransport, memoryEventBus, openEventBus } from '../src/server/event-bus';
import { createLogger } from '../src/server/logger';

const logger = createLogger('event-bus-test', { LOG_LEVEL: 'error' });
const POSTGRES = process.env.TEST_POSTGRES_URL;
const REDIS = process.env.TEST_REDIS_URL;

/** The next `count` events of `iterator`, within a deadline. */
async function take<T>(iterator: AsyncIterator<T>, count: number, deadlineMs = 10_000): Promise<T[]> {
  const events: T[] = [];
  const deadline = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${events.length} of ${count} events within ${deadlineMs} ms`)), deadlineMs);
    timer.unref();
  });
  while (events.length < count) {
    const next = await Promise.race([iterator.next(), deadline]);
    if (next.done) break;
    events.push(next.value);
  }
  return events;
}

describe('the event transport a service chooses', () => {
  it('defaults to memory on PGlite, postgres on PostgreSQL, redis with REDIS_URL; PUBSUB overrides', () => {
    expect(eventTransport({}, undefined)).toBe('memory');
    expect(eventTransport({}, 'postgres://db/x')).toBe('postgres');
    expect(eventTransport({ REDIS_URL: 'redis://r:6379' }, 'postgres://db/x')).toBe('redis');
    expect(eventTransport({ PUBSUB: 'memory' }, 'postgres://db/x')).toBe('memory');
  });

  it('refuses a setting it cannot serve, saying what is missing', () => {
    expect(() => eventTransport({ PUBSUB: 'kafka' }, undefined)).toThrow('PUBSUB must be memory, postgres or redis; it is "kafka".');
    expect(() => eventTransport({ PUBSUB: 'redis' }, undefined)).toThrow('PUBSUB=redis needs REDIS_URL');
    expect(() => eventTransport({ PUBSUB: 'postgres' }, undefined)).toThrow("PUBSUB=postgres needs the service's database on PostgreSQL");
  });

  it('says which server it could not reach, without its password', async () => {
    await expect(openEventBus({ service: 'partners', env: { REDIS_URL: 'redis://u:secret@127.0.0.1:1' }, logger })).rejects.toThrow(
      /Cannot connect to Redis at REDIS_URL \(redis:\/\/u:\*\*\*@127\.0\.0\.1:1\)/,
    );
  });
});

interface Pair {
  publisher: EventBus;
  subscriber: EventBus;
}

const transports: [string, () => Promise<Pair & { close(): Promise<void> }>][] = [
  [
    'memory (one instance)',
    async () => {
      const bus = memoryEventBus();
      return { publisher: bus, subscriber: bus, close: () => bus.close() };
    },
  ],
];
if (POSTGRES) {
  transports.push([
    'postgres (two instances on one database)',
    async () => {
      const database = await freshPostgresDatabase(POSTGRES, 'event_bus');
      const open = () => openEventBus({ service: 'partners', env: {}, postgresUrl: database.url, logger });
      const [publisher, subscriber] = await Promise.all([open(), open()]);
      expect([publisher.transport, subscriber.transport]).toEqual(['postgres', 'postgres']);
      return {
        publisher,
        subscriber,
        async close() {
          await Promise.all([publisher.close(), subscriber.close()]);
          await database.drop();
        },
      };
    },
  ]);
}
if (REDIS) {
  transports.push([
    'redis (two instances on one server)',
    async () => {
      const open = () => openEventBus({ service: 'partners', env: { REDIS_URL: REDIS }, logger });
      const [publisher, subscriber] = await Promise.all([open(), open()]);
      expect([publisher.transport, subscriber.transport]).toEqual(['redis', 'redis']);
      return { publisher, subscriber, close: async () => void (await Promise.all([publisher.close(), subscriber.close()])) };
    },
  ]);
}

describe.each(transports)('the event bus on %s', (_name, open) => {
  let pair: Pair & { close(): Promise<void> };
  beforeAll(async () => {
    pair = await open();
  });
  afterAll(() => pair?.close());

  it("delivers another instance's events in order, dates as dates, from the moment subscribe resolves", async () => {
    const topic = `progress:${Math.random()}`;
    const events = await pair.subscriber.subscribe<{ n: number; at: Date; nested: { when: Date[] } }>(topic);
    // Published right after subscribe resolves, before anything reads: none may be lost.
    const at = new Date('2026-03-01T10:00:00.123Z');
    for (let n = 0; n < 50; n++) pair.publisher.publish(topic, { n, at, nested: { when: [at] } });
    const received = await take(events, 50);
    expect(received.map((event) => event.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect(received[0].at).toBeInstanceOf(Date);
    expect(received[0].at.toISOString()).toBe('2026-03-01T10:00:00.123Z');
    expect(received[49].nested.when[0]).toEqual(at);
    await events.return?.();
  });

  it('keeps topics apart, and gives nothing after return()', async () => {
    const mine = `topic:${Math.random()}`;
    const other = `topic:${Math.random()}`;
    const events = await pair.subscriber.subscribe<{ n: number }>(mine);
    const control = await pair.subscriber.subscribe<{ n: number }>(other);
    pair.publisher.publish(other, { n: -1 });
    pair.publisher.publish(mine, { n: 1 });
    expect(await take(events, 1)).toEqual([{ n: 1 }]);
    expect(await take(control, 1)).toEqual([{ n: -1 }]);
    await events.return?.();
    pair.publisher.publish(mine, { n: 2 });
    pair.publisher.publish(other, { n: -2 });
    // The control topic's later event arrives, so the bus delivered what was published after return() by then.
    expect(await take(control, 1)).toEqual([{ n: -2 }]);
    expect(await events.next()).toEqual({ done: true, value: undefined });
    await control.return?.();
  });

  it('ends a subscriber that falls 1,000 events behind with an error naming its topic', async () => {
    const topic = `slow:${Math.random()}`;
    const events = await pair.subscriber.subscribe<{ n: number }>(topic);
    const probe = await pair.subscriber.subscribe<{ n: number }>(`${topic}:probe`);
    for (let n = 0; n < 1_200; n++) pair.publisher.publish(topic, { n });
    pair.publisher.publish(`${topic}:probe`, { n: 0 });
    await take(probe, 1); // every event of the flood has reached the subscriber's instance
    await probe.return?.();
    const received: number[] = [];
    await expect(
      (async () => {
        for (;;) {
          const next = await events.next();
          if (next.done) return;
          received.push(next.value.n);
        }
      })(),
    ).rejects.toThrow(`The subscriber fell 1000 events behind on ${topic}; subscribe again.`);
    expect(received.length).toBeLessThanOrEqual(1_000);
  });
});
