/**
 * The per-request context every resolver receives (each subgraph adds its DataLoaders to it).
 */
import type { Identity } from '../auth/roles';
import type { Sealer } from '../auth/sealing';
import type { WatermarkClock } from '../database/watermark';
import type { EventBus } from '../server/event-bus';
import type { CallService } from '../server/service-client';

export interface RequestContext {
  identity: Identity;
  /** Correlates logs across the gateway and subgraphs. */
  requestId: string;
  /**
   * The request's watermark (`transactionTime`), taken once per request so that every list in one
   * response is cut at the same instant (and nested lists of many parents batch together).
   */
  watermark(): Promise<Date>;
  /** The service's watermark clock: high-water marks and the last known watermark (fast paths, writes). */
  clock: WatermarkClock;
  /**
   * Calls another Care Graph service's GraphQL API as this service (role `service`), under this request's
   * id, e.g. pop-health recording a roster ingestion in care-requests' data-load feed (see `serviceClient`).
   */
  callService: CallService;
  /** Seals (care-requests) and opens (pop-health) patients' SSNs on their way to the matcher (`SSN_FOR_MATCHING`). */
  ssnSealer: Sealer;
  /** The service's event bus (what its subscriptions serve), shared by all its instances. */
  events: EventBus;
}
