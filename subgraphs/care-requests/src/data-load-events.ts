/**
 * Finished data loads as events, for the `dataLoaded` subscription (issue 12). One pub/sub for the process,
 * one topic; an event is the DataLoad row as its finishing transaction committed it, published only after
 * that commit (a subscriber that reads what the load wrote finds it). Every publish and subscribe goes
 * through this module, so that putting a bus shared by several instances (Redis, PostgreSQL LISTEN/NOTIFY)
 * in place of the in-process one changes this file alone.
 */
import { createPubSub, Repeater } from '@graphql-yoga/subscription';
import type { DataLoad } from './generated/prisma/client';

const DATA_LOADED = 'dataLoaded';

/** The process-wide pub/sub of finished loads. */
export const dataLoadEvents = createPubSub<{ [DATA_LOADED]: [DataLoad] }>();

/** Subscriptions listening now (the stream of `subscribeDataLoaded` between its first read and its end). */
let listening = 0;

/** Announces `load`, which has just finished; call it after the finishing transaction has committed. */
export function publishDataLoaded(load: DataLoad): void {
  dataLoadEvents.publish(DATA_LOADED, load);
}

/**
 * The loads finished from now on that `visible` lets through, in the order they finish. A Repeater rather
 * than an async generator: when the subscriber goes, it ends at once and lets go of the topic, instead of
 * waiting for the next load to finish (which may be hours away).
 */
export function subscribeDataLoaded(visible: (load: DataLoad) => boolean | Promise<boolean>): AsyncIterable<DataLoad> {
  return new Repeater<DataLoad>(async (push, stop) => {
    const events = dataLoadEvents.subscribe(DATA_LOADED)[Symbol.asyncIterator]();
    // The first read attaches the listener: from here on no finished load is missed.
    let next = events.next();
    listening += 1;
    void stop.then(() => events.return?.());
    try {
      for (;;) {
        const result = await next;
        if (result.done) break;
        next = events.next();
        if (await visible(result.value)) await push(result.value);
      }
    } finally {
      listening -= 1;
    }
    stop();
  });
}

/** How many `dataLoaded` subscriptions this process serves now (tests wait on it; a freed one no longer counts). */
export function dataLoadedSubscriptions(): number {
  return listening;
}
