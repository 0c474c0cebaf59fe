/**
 * @care-graph/service-kit: the plumbing the subgraphs (and the gateway) share. The surface below is what
 * the rest of the repository uses; everything else in `src/` is internal to the kit.
 *
 *   server/    config, the mode (embedded or production), paths, logging, HTTP, a subgraph's server and life cycle, the service-to-service client
 *   graphql/   scalars, shared types (resources, connections), the per-request context, errors, loaders
 *   lists/     cursors, the `lastUpdated` filter, keyset SQL pages and batched nested pages
 *   auth/      user tokens, the internal identity, the role rule
 *   database/  opening (and migrating) a database, write stamps and the watermark
 *   workers/   TypeScript worker threads
 *
 * `REQUEST_ID_HEADER`, `requestIdOf` and `internalHeaders` are here for the gateway's edge (the one place a
 * request id is taken from a caller, and the headers every internal call carries).
 */
import 'reflect-metadata';

export { assertPartnerAccess, authorize, canSeePartner, type Identity, ROLES, type Role } from './auth/roles';
export { Sealer, SSN_FOR_MATCHING } from './auth/sealing';
export {
  createTokenVerifier,
  devSigningKey,
  IDENTITY_HEADER,
  InternalAuth,
  type InternalCall,
  internalHeaders,
  internalSecret,
  internalSigner,
  REQUEST_ID_HEADER,
  requestIdOf,
  requestTarget,
  type SignCall,
  signDevToken,
  type TokenVerifier,
} from './auth/tokens';
export { type Database, type DatabaseOptions, migrationTarget, openDatabase } from './database/open-database';
export { writePgliteTemplate } from './database/pglite-template';
export { computeWatermark, WatermarkClock, writeStamp } from './database/watermark';
export { type AccessTable, accessTableOf, type EntityAccess, type FieldAccess } from './graphql/access-table';
export { checkTextParameters } from './graphql/argument-guard';
export { type AccessRule, accessRule, entityReference, notForPartners, ownedByPartner } from './graphql/entity-access';
export { Sex } from './graphql/enums';
export { badUserInput, boundErrorEcho, conflict, forbidden, notFound, PUBLIC_ERROR_CODES, unauthenticated } from './graphql/errors';
export { byIdLoader, DataLoader, groupLoader } from './graphql/loaders';
export type { RequestContext } from './graphql/request-context';
export { Connection, DateTimeRange, Resource } from './graphql/resource-types';
export { DateScalar, DateTimeScalar, formatCalendarDate } from './graphql/scalars';
export { buildFederatedSchema } from './graphql/subgraph-schema';
export { decodeOrderCursor, encodeOrderCursor, listKey } from './lists/cursor';
export { groupedPageLoaders } from './lists/grouped-pages';
export { queryPage, type SincePageQuery } from './lists/keyset-sql';

export { SinceArgs, sincePage } from './lists/since-page';
export { DEFAULT_PORTS, databaseUrlFor, envPrefix, integerSetting, SUBGRAPHS, type SubgraphName, switchSetting } from './server/config';
export { type EventBus, type EventTransport, eventTransport, memoryEventBus, openEventBus } from './server/event-bus';
export { express, healthRoutes, type RunningServer, sendError, serve } from './server/http-server';
export { createLogger, type Logger } from './server/logger';
export { type CareGraphMode, careGraphMode, type ModeChoice, requireProductionSettings } from './server/mode';
export { dataDir, repoRoot } from './server/paths';
export { cancellationOf, cancellationPlugin, requestDeadline, requestSignal, requestTimeoutMs } from './server/request-deadline';
export {
  type CallService,
  ServiceCallError,
  type ServiceCallOptions,
  type ServiceClient,
  type ServiceClientOptions,
  serviceClient,
} from './server/service-client';
export { type RunningSubgraph, runSubgraphProcess, type SubgraphDefinition, startSubgraph } from './server/subgraph-service';

export { SERVICE_NODE_FLAGS, tsWorker } from './workers/ts-worker';
