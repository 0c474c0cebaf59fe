/**
 * The subscription benchmark's clients, in a process of their own (started by subscriptions.ts with an IPC
 * channel): N graphql-ws clients (`createClient` with the `ws` implementation, one socket each), so that
 * their CPU is not inside the measured gateway. The parent sends commands; each is answered with a message
 * carrying the same `id`. Each event's delay is taken here: receipt (`Date.now()`) minus the instant the
 * event carries (`at` or `finishedAt`), on the same machine's clock.
 */
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** Where the delay of an event is read: `data[root][timeField]`, and the value reported with it (`data[root][labelField]`). */
export interface SubscriptionSpec {
  query: string;
  variables: Record<string, unknown>;
  root: string;
  timeField: string;
  labelField: string;
}

export type ClientCommand =
  | { id: number; command: 'connect'; url: string; tokens: string[]; concurrency: number }
  | { id: number; command: 'subscribe'; spec: SubscriptionSpec }
  | { id: number; command: 'waitEvents'; atLeast: number; deadlineMs: number }
  | { id: number; command: 'waitComplete'; deadlineMs: number }
  | { id: number; command: 'results' }
  | { id: number; command: 'unsubscribe' }
  | { id: number; command: 'close' };

/** What one client received since the last `results` (or since it subscribed). */
export interface ClientEvents {
  /** Receipt − the event's own instant, ms, in order of receipt. */
  delays: number[];
  /** The label field of each event (e.g. the status), in order of receipt. */
  labels: string[];
  /** Receipt instants (ms since the epoch), in order. */
  receivedAt: number[];
  completed: boolean;
  error: string | null;
}

export type ClientReply =
  | { id: number; ok: true; seconds: number; value?: unknown }
  | { id: number; ok: false; error: string; value?: unknown };

interface Subscriber {
  client: Client;
  events: ClientEvents;
  unsubscribe: (() => void) | null;
}

const subscribers: Subscriber[] = [];
const fresh = (): ClientEvents => ({ delays: [], labels: [], receivedAt: [], completed: false, error: null });

/** Opens one socket a token, `concurrency` handshakes at a time; resolves once every one is acknowledged. */
async function connect(url: string, tokens: string[], concurrency: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < tokens.length) {
      const token = tokens[next++];
      await new Promise<void>((resolve, reject) => {
        const client = createClient({
          url,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${token}` },
          lazy: false,
          retryAttempts: 0,
          onNonLazyError: (error) => reject(new Error(`connection failed: ${describe(error)}`)),
        });
        const off = client.on('connected', () => {
          off();
          resolve();
        });
        subscribers.push({ client, events: fresh(), unsubscribe: null });
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const closed = error as { code?: number; reason?: string };
  if (typeof closed?.code === 'number') return `closed ${closed.code} ${closed.reason ?? ''}`;
  return JSON.stringify(error);
}

function subscribe(spec: SubscriptionSpec): void {
  for (const subscriber of subscribers) {
    subscriber.events = fresh();
    // `results` hands the events over and starts afresh: each callback writes to the subscriber's current record.
    subscriber.unsubscribe = subscriber.client.subscribe<Record<string, Record<string, unknown>>>(
      { query: spec.query, variables: spec.variables },
      {
        next: (result) => {
          const now = Date.now();
          const { events } = subscriber;
          const value = result.data?.[spec.root];
          if (!value) {
            events.error ??= JSON.stringify(result.errors ?? result).slice(0, 300);
            return;
          }
          events.receivedAt.push(now);
          events.delays.push(now - Date.parse(String(value[spec.timeField])));
          events.labels.push(String(value[spec.labelField]));
          if (result.errors?.length) events.error ??= JSON.stringify(result.errors).slice(0, 300);
        },
        error: (error) => {
          subscriber.events.error ??= describe(error);
          subscriber.events.completed = true;
        },
        complete: () => {
          subscriber.events.completed = true;
        },
      },
    );
  }
}

/** Resolves once `condition` holds (checked every 20 ms), or rejects after `deadlineMs`. */
async function until(condition: () => boolean, deadlineMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs / 1000} s: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const summary = () => {
  const counts = subscribers.map((s) => s.events.receivedAt.length);
  const errors = subscribers.filter((s) => s.events.error);
  const first = errors[0]?.events.error;
  return `events per client min ${Math.min(...counts)}, max ${Math.max(...counts)}; ${errors.length} with an error${first ? ` (${first})` : ''}; ${subscribers.filter((s) => s.events.completed).length} completed`;
};

async function handle(message: ClientCommand): Promise<unknown> {
  switch (message.command) {
    case 'connect':
      return connect(message.url, message.tokens, message.concurrency);
    case 'subscribe':
      return subscribe(message.spec);
    case 'waitEvents': {
      // A subscription that ended (with an error) gets no more events: it is waited for no longer, and counted.
      await until(
        () => subscribers.every((s) => s.events.receivedAt.length >= message.atLeast || s.events.completed),
        message.deadlineMs,
        summary,
      );
      const ended = subscribers.filter((s) => s.events.receivedAt.length < message.atLeast);
      return { ended: ended.length, error: ended[0]?.events.error ?? null };
    }
    case 'waitComplete':
      return until(() => subscribers.every((s) => s.events.completed), message.deadlineMs, summary);
    case 'results': {
      const results = subscribers.map((s) => s.events);
      for (const s of subscribers) s.events = { ...fresh(), completed: s.events.completed };
      return results;
    }
    case 'unsubscribe':
      for (const s of subscribers) s.unsubscribe?.();
      return undefined;
    case 'close':
      await Promise.all(subscribers.map((s) => s.client.dispose()));
      subscribers.length = 0;
      return undefined;
  }
}

process.on('message', (message: ClientCommand) => {
  const start = process.hrtime.bigint();
  handle(message).then(
    (value) =>
      process.send!({ id: message.id, ok: true, seconds: Number(process.hrtime.bigint() - start) / 1e9, value } satisfies ClientReply),
    (error: Error) => process.send!({ id: message.id, ok: false, error: error.message } satisfies ClientReply),
  );
});
process.on('disconnect', () => process.exit(0));
