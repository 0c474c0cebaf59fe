/**
 * How much one client may hold open over the streaming transports (graphql-ws sockets and SSE streams), and
 * the count of what each identity holds, which both transports share.
 */
import { integerSetting } from '@care-graph/service-kit';

/** How much one client may hold open (README, Configuration). */
export interface SubscriptionLimits {
  /** SUBSCRIPTIONS_PER_CONNECTION: operations open at once on one socket (default 100). */
  perConnection: number;
  /** CONNECTIONS_PER_IDENTITY: sockets and SSE streams open at once for one token subject (default 20). */
  perIdentity: number;
  /** SUBSCRIPTION_BUFFER: events one subscription may have waiting for its client (default 100). */
  buffer: number;
}

/** The limits from the environment (see `SubscriptionLimits`); throws naming a setting that is not a whole number in range. */
export function subscriptionLimits(env: NodeJS.ProcessEnv): SubscriptionLimits {
  return {
    perConnection: integerSetting(env, 'SUBSCRIPTIONS_PER_CONNECTION', 100, 1, 10_000),
    perIdentity: integerSetting(env, 'CONNECTIONS_PER_IDENTITY', 20, 1, 10_000),
    buffer: integerSetting(env, 'SUBSCRIPTION_BUFFER', 100, 1, 100_000),
  };
}

/** A connection counted for its identity, or the sentence that refuses it. */
export type ConnectionSlot = { open: true; release(): void } | { open: false; refusal: string };

/**
 * Connections open per token subject, WebSockets and SSE streams together, held to `limit`
 * (CONNECTIONS_PER_IDENTITY): one counter for the gateway, so that a client cannot double its share by
 * mixing transports.
 */
export class IdentityConnections {
  private readonly bySubject = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Counts one more connection for `subject` until `release` (which counts once however often it is called), or refuses it. */
  open(subject: string): ConnectionSlot {
    const open = this.bySubject.get(subject) ?? 0;
    if (open >= this.limit) {
      return {
        open: false,
        refusal: `Too many connections: this token already has ${open} open (CONNECTIONS_PER_IDENTITY); close one first.`,
      };
    }
    this.bySubject.set(subject, open + 1);
    let released = false;
    return {
      open: true,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.bySubject.get(subject) ?? 1) - 1;
        if (left > 0) this.bySubject.set(subject, left);
        else this.bySubject.delete(subject);
      },
    };
  }
}
