/**
 * A backfill's progress as events, for the `backfillProgress` subscription (issue 12) to serve, on the
 * service's event bus (service-kit's event-bus.ts: every partners instance's subscribers get every instance's
 * events), topic `backfillProgress:<backfillId>`. A run writes pages faster than anyone reads a
 * progress bar, so events are coalesced per backfill: at most 4 a second, the latest state winning (trailing
 * edge); the terminal event is published at once, drops any pending one, and is the last the backfill gets.
 */
import type { EventBus } from '@care-graph/service-kit';
import type { BackfillRunStatus } from '../generated/prisma/enums';

export interface BackfillProgressEvent {
  backfillId: string;
  status: BackfillRunStatus;
  processed: number;
  total: number;
  matched: number;
  created: number;
  alreadyAssociated: number;
  percent: number;
  etaSeconds: number | null;
  at: Date;
}

/** The topic of one backfill's progress events. */
export const progressTopic = (backfillId: string) => `backfillProgress:${backfillId}`;

/** Most events one backfill gets per second (the terminal one aside). */
const PROGRESS_EVENTS_PER_SECOND = 4;
const INTERVAL_MS = 1000 / PROGRESS_EVENTS_PER_SECOND;

interface Pending {
  lastAt: number;
  latest: BackfillProgressEvent | null;
  timer: NodeJS.Timeout | null;
  finished: boolean;
}

/** The coalescing state of each bus's backfills (one bus per partners instance). */
const pendingByBus = new WeakMap<EventBus, Map<string, Pending>>();

/**
 * Publishes `event` on `events` under the coalescing rule (see the file's comment). Events of a backfill whose
 * terminal event went out are dropped, so a page that raced a cancel cannot publish after it.
 */
export function publishProgress(events: EventBus, event: BackfillProgressEvent): void {
  let backfills = pendingByBus.get(events);
  if (!backfills) pendingByBus.set(events, (backfills = new Map()));
  // `at` is when the event goes out: a coalesced event carries the latest state, sent up to 250 ms after it was read.
  const send = (sent: BackfillProgressEvent) => events.publish(progressTopic(sent.backfillId), { ...sent, at: new Date() });
  let pending = backfills.get(event.backfillId);
  if (pending?.finished) return;
  if (event.status !== 'RUNNING') {
    if (pending?.timer) clearTimeout(pending.timer);
    backfills.set(event.backfillId, { lastAt: Date.now(), latest: null, timer: null, finished: true });
    send(event);
    // Forget the backfill after a while, so that a long-lived process does not keep every backfill it saw.
    setTimeout(() => backfills.delete(event.backfillId), 60_000).unref();
    return;
  }
  if (!pending) {
    pending = { lastAt: 0, latest: null, timer: null, finished: false };
    backfills.set(event.backfillId, pending);
  }
  const wait = pending.lastAt + INTERVAL_MS - Date.now();
  if (wait <= 0 && !pending.timer) {
    pending.lastAt = Date.now();
    send(event);
    return;
  }
  pending.latest = event;
  if (pending.timer) return;
  const state = pending;
  state.timer = setTimeout(() => {
    state.timer = null;
    if (!state.latest || state.finished) return;
    state.lastAt = Date.now();
    const latest = state.latest;
    state.latest = null;
    send(latest);
  }, wait);
  state.timer.unref();
}
