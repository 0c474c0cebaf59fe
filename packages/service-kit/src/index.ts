/**
 * @care-graph/service-kit: the plumbing the subgraphs (and the gateway) share. The surface below is what
 * the rest of the repository uses; everything else in `src/` is internal to the kit.
 *
 *   server/    config, paths, logging, HTTP, a subgraph's server and life cycle, the service-to-service client
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

export { DEFAULT_PORTS, SUBGRAPHS, databaseUrlFor, envPrefix, type SubgraphName } from './server/config';
export { dataDir, repoRoot } from './server/paths';
export { createLogger, type Logger } from './server/logger';
export { express, healthRoutes, sendError, serve, type RunningServer } from './server/http-server';
export { runSubgraphProcess, startSubgraph, type RunningSubgraph, type SubgraphDefinition } from './server/subgraph-service';
export {
  ServiceCallError, serviceClient, type CallService, type ServiceCallOptions, type ServiceClient, type ServiceClientOptions,
} from './server/service-client';

export { DateScalar, DateTimeScalar, formatCalendarDate } from './graphql/scalars';
export { Sex } from './graphql/enums';
export { Connection, DateTimeRange, Resource } from './graphql/resource-types';
export { buildFederatedSchema } from './graphql/subgraph-schema';
export type { RequestContext } from './graphql/request-context';
export { PUBLIC_ERROR_CODES, badUserInput, conflict, forbidden, notFound, unauthenticated } from './graphql/errors';
export { DataLoader, byIdLoader, groupLoader } from './graphql/loaders';

export { SinceArgs, sincePage } from './lists/since-page';
export { queryPage, type SincePageQuery } from './lists/keyset-sql';
export { groupedPageLoaders } from './lists/grouped-pages';

export { ROLES, assertPartnerAccess, authorize, type Identity, type Role } from './auth/roles';
export {
  IDENTITY_HEADER, InternalAuth, REQUEST_ID_HEADER, createTokenVerifier, devSigningKey, internalHeaders, internalSecret, requestIdOf,
  signDevToken, type TokenVerifier,
} from './auth/tokens';

export { migrationTarget, openDatabase, type Database, type DatabaseOptions } from './database/open-database';
export { WatermarkClock, computeWatermark, writeStamp } from './database/watermark';

export { SERVICE_NODE_FLAGS, tsWorker } from './workers/ts-worker';
