/**
 * Finished data loads as events, for the `dataLoaded` subscription (issue 12), on the service's event bus
 * (service-kit's event-bus.ts: every care-requests instance's subscribers get every instance's loads), one
 * topic. An event is the DataLoad row as its finishing transaction committed it, published only after that
 * commit, so a subscriber that reads what the load wrote finds it. Every publish and subscribe of loads goes
 * through this module.
 */
import type { EventBus } from '@care-graph/service-kit';
import { Repeater } from '@graphql-yoga/subscription';
import type { DataLoad } from './generated/prisma/client';

const DATA_LOADED = 'dataLoaded';

/** Subscriptions this process serves now (from `subscribeDataLoaded` resolving until their end). */
let listening = 0;

/** Announces `load`, which has just finished; call it after the finishing transaction has committed. */
export function publishDataLoaded(events: EventBus, load: DataLoad): void {
  events.publish(DATA_LOADED, load);
}

/**
 * The loads finished from now on (live once this resolves) that `visible` lets through, in the order they
 * finish. A Repeater rather than an async generator: when the subscriber goes, it ends at once and lets go
 * of the topic, instead of waiting for the next load to finish (which may be hours away).
 */
export async function subscribeDataLoaded(
  events: EventBus,
  visible: (load: DataLoad) => boolean | Promise<boolean>,
): Promise<AsyncIterable<DataLoad>> {
  const source = await events.subscribe<DataLoad>(DATA_LOADED);
  listening += 1;
  let freed = false;
  const free = () => {
    if (freed) return;
    freed = true;
    listening -= 1;
    void source.return?.();
  };
  return new Repeater<DataLoad>(async (push, stop) => {
    void stop.then(free);
    try {
      for (;;) {
        const next = await source.next();
        if (next.done) break;
        if (await visible(next.value)) await push(next.value);
      }
    } finally {
      free();
    }
    stop();
  });
}

/** How many `dataLoaded` subscriptions this process serves now (tests wait on it; a freed one no longer counts). */
export function dataLoadedSubscriptions(): number {
  return listening;
}
