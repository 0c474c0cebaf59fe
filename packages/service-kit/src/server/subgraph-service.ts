/**
 * The life of one subgraph service: open (and migrate) its database, seed demo data on a new embedded
 * database, build its schema, serve it, and close it all again in reverse order.
 * Each subgraph's `index.ts` describes itself as a `SubgraphDefinition`; this file does the rest.
 */
import type { Express, Request } from 'express';
import type { GraphQLSchema } from 'graphql';
import { InternalAuth } from '../auth/tokens';
import type { Database, DatabaseOptions } from '../database/open-database';
import type { SqlClient } from '../database/sql';
import { WatermarkClock } from '../database/watermark';
import type { RequestContext } from '../graphql/request-context';
import { integerSetting, type ServiceConfig, serviceConfig, serviceUrlFor } from './config';
import { type EventBus, openEventBus } from './event-bus';
import { createLogger, type Logger } from './logger';
import { requireProductionSettings } from './mode';
import { requestTimeoutMs } from './request-deadline';
import { type CallService, serviceClient } from './service-client';
import { startSubgraphServer } from './subgraph-server';

type Client = { $disconnect(): Promise<void> } & SqlClient;

export interface SubgraphDefinition<C extends Client, Context extends RequestContext> {
  name: string;
  /** Tables with a `lastUpdated` column whose high-water marks the watermark clock keeps. */
  tables: readonly string[];
  buildSchema(): Promise<GraphQLSchema>;
  openDatabase(options: Omit<DatabaseOptions, 'service'>): Promise<Database<C>>;
  /** `database` is there for what `client` cannot do (its direct path for bulk writes). */
  createContext(client: C, base: RequestContext, database: Database<C>): Context;
  /** Extra HTTP routes of the service (e.g. streamed uploads); see SubgraphServerOptions.routes. */
  routes?(
    app: Express,
    services: { client: C; database: Database<C>; clock: WatermarkClock; authenticate: (req: Request) => Promise<RequestContext> },
  ): void;
  /**
   * Starts the service's background work once it serves (housekeeping such as sweeps); returns how to stop
   * it, which the service awaits when it stops, before its database closes. `database.uncounted(work)` runs
   * housekeeping statements (idle polls) outside the statement counts tests keep per request; `dataDir` is
   * where the service keeps its files.
   */
  background?(services: {
    client: C;
    logger: Logger;
    env: NodeJS.ProcessEnv;
    callService: CallService;
    clock: WatermarkClock;
    database: Database<C>;
    dataDir: string;
    /** The service's event bus, shared by its instances (what subscriptions serve). */
    events: EventBus;
  }): () => Promise<void>;
  /** Releases what the service holds besides its database (e.g. worker threads), when it stops. */
  close?(client: C): Promise<void>;
  /**
   * Writes the demo data when the service's database is still empty (embedded mode's first start);
   * returns false when there was data already.
   */
  seed?(client: C, logger: Logger): Promise<boolean>;
}

export interface RunningSubgraph<C> {
  name: string;
  url: string;
  port: number;
  database: Database<C>;
  clock: WatermarkClock;
  events: EventBus;
  close(): Promise<void>;
}

/**
 * Opens (and migrates) the database, seeds it if asked, and serves the subgraph; `close` undoes it all.
 * In production mode it refuses first, before touching the database, unless `env` has the production settings.
 */
export async function startSubgraph<C extends Client, Context extends RequestContext>(
  definition: SubgraphDefinition<C, Context>,
  config: ServiceConfig = serviceConfig(definition.name),
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningSubgraph<C>> {
  requireProductionSettings('service', env);
  const logger = createLogger(definition.name, env);
  const database = await definition.openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    statementTimeoutMs: integerSetting(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 60_000, 100, 86_400_000),
    pgliteTemplate: env.PGLITE_TEMPLATE || undefined,
  });
  let events: EventBus | undefined;
  try {
    events = await openEventBus({
      service: definition.name,
      env,
      postgresUrl: database.kind === 'postgresql' ? config.databaseUrl : undefined,
      logger,
    });
    if (database.appliedMigrations.length) logger.info('applied migrations', { migrations: database.appliedMigrations });
    if (config.seedDemoData && definition.seed) {
      const started = Date.now();
      if (await definition.seed(database.client, logger)) logger.info('seeded demo data', { ms: Date.now() - started });
    }
    const clock = new WatermarkClock(database.client, definition.tables, {
      background: database.uncounted,
      singleConnection: database.kind === 'pglite',
    });
    await clock.start((error) => logger.warn('watermark refresh failed', { message: error.message }));
    const internalAuth = await InternalAuth.fromEnv(env, config.dataDir);
    const services = serviceClient({ name: definition.name, internalAuth, serviceUrl: (service) => serviceUrlFor(service, env) });
    const server = await startSubgraphServer({
      name: definition.name,
      schema: await definition.buildSchema(),
      internalAuth,
      createContext: (base) => definition.createContext(database.client, base, database),
      clock,
      events,
      routes:
        definition.routes && ((app, authenticate) => definition.routes!(app, { client: database.client, database, clock, authenticate })),
      services,
      readiness: [{ name: 'database', check: async () => void (await database.client.$queryRawUnsafe('SELECT 1')) }],
      port: config.port,
      host: config.host,
      requestTimeoutMs: requestTimeoutMs(env),
      logger,
    });
    let stopBackground: (() => Promise<void>) | undefined;
    try {
      stopBackground = definition.background?.({
        client: database.client,
        logger,
        env,
        callService: services.call,
        clock,
        database,
        dataDir: config.dataDir,
        events,
      });
    } catch (error) {
      clock.stop();
      await server.close();
      throw error;
    }
    let closing: Promise<void> | undefined;
    return {
      name: definition.name,
      url: server.url,
      port: server.port,
      database,
      clock,
      events,
      // Once: a second close (a test that stopped a subgraph, then the whole graph) waits for the first.
      close() {
        closing ??= (async () => {
          clock.stop();
          await stopBackground?.();
          await server.close();
          await definition.close?.(database.client);
          await events!.close();
          await database.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await events?.close();
    await database.close();
    throw error;
  }
}

/** Entry point of a subgraph process: start from the environment, stop cleanly on SIGINT/SIGTERM. */
export function runSubgraphProcess<C extends Client, Context extends RequestContext>(definition: SubgraphDefinition<C, Context>): void {
  const logger = createLogger(definition.name);
  startSubgraph(definition).then(
    (running) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info('stopping', { signal });
        running.close().then(
          () => process.exit(0),
          (error: Error) => {
            logger.error('stop failed', { message: error.message });
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    },
    (error: Error) => {
      logger.error('failed to start', { message: error.message });
      process.exit(1);
    },
  );
}
