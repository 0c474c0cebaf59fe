/**
 * One service's database: embedded PGlite by default, PostgreSQL when a URL is given.
 *
 * Both speak the same dialect, so one Prisma schema and one set of migrations serve both. Migrations are
 * applied on open, before the Prisma client is handed out, so a service never runs against an old schema.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { applyMigrations } from '@care-graph/migrate';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory, SqlQuery } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { repoRoot } from '../server/paths';
import { cancellable, throwIfCancelled } from '../server/request-deadline';
import { readPgliteTemplate } from './pglite-template';

/** Default PostgreSQL `statement_timeout` of a service's statements. */
const DEFAULT_STATEMENT_TIMEOUT_MS = 60_000;

export interface DatabaseOptions {
  /** Service name: selects `prisma/<service>/` and the embedded folder `.data/<service>/`. */
  service: string;
  /**
   * `postgres://…` for PostgreSQL; `memory://` for a throw-away embedded database; unset for the embedded
   * database under `<dataDir>/<service>/pgdata`.
   */
  url?: string;
  dataDir: string;
  /**
   * PostgreSQL's `statement_timeout` of the service's connections (default 60 s): the one statement an abandoned
   * request has running when it is cancelled ends at this bound at the latest. It holds for the migrations a
   * service applies at start too; `npm run db:migrate` has none (run a long migration with it). PGlite ignores it.
   */
  statementTimeoutMs?: number;
  /**
   * A PGlite data folder archive (`PGLITE_TEMPLATE`, made by `writePgliteTemplate`) that a new embedded database
   * is unpacked from instead of running initdb; an existing database folder is opened as it is.
   */
  pgliteTemplate?: string;
}

/** One statement on the direct path: SQL with `$n` parameters; the rows come back as plain objects. */
type DirectQuery = <Row = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<Row[]>;

export interface Database<Client> {
  client: Client;
  kind: 'pglite' | 'postgresql';
  /** Migrations applied by this open. */
  appliedMigrations: string[];
  /** SQL statements sent so far by requests (the DataLoader tests count them); background work is not counted. */
  queryCount(): number;
  /** Statements sent by requests that have not answered yet (tests wait for 0 before they count). */
  statementsRunning(): number;
  /** Runs background work (e.g. the watermark clock's refresh) without counting its statements. */
  uncounted<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` in one transaction straight on the driver (the PGlite instance, or a small pg pool of its
   * own), bypassing Prisma's query path. For measured bulk writes only (roster batches: Prisma's raw-statement
   * path costs measurably more a row; bench/RESULTS.md, "Figures behind design decisions"). Everything else
   * goes through `client`.
   */
  directTransaction<T>(work: (query: DirectQuery) => Promise<T>): Promise<T>;
  /**
   * One statement of background work that polls (a runner looking for work), straight on the driver and not
   * counted. Not through `client` inside `uncounted`: Prisma dispatches the calls made in one tick together,
   * under the async context of the first, so a poll and a request's statement could be counted as each other's.
   */
  uncountedQuery<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** Where a service's Prisma schema and migrations live. */
export function migrationTarget(service: string) {
  const dir = path.join(repoRoot, 'prisma', service);
  return { schemaPath: path.join(dir, 'schema.prisma'), migrationsDir: path.join(dir, 'migrations') };
}

/**
 * Opens the database, applies pending migrations, then builds the Prisma client with `makeClient`.
 * `makeClient` receives the driver adapter factory (the generated PrismaClient differs per service).
 */
export async function openDatabase<Client extends { $disconnect(): Promise<void> }>(
  options: DatabaseOptions,
  makeClient: (adapter: SqlMigrationAwareDriverAdapterFactory) => Client,
): Promise<Database<Client>> {
  const counter: StatementCounter = { queries: 0, running: 0 };
  let factory: SqlMigrationAwareDriverAdapterFactory;
  let pglite: PGlite | undefined;
  let kind: Database<Client>['kind'];
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;

  if (options.url && /^postgres(ql)?:\/\//.test(options.url)) {
    kind = 'postgresql';
    factory = new PrismaPg({ connectionString: options.url, max: 10, statement_timeout: statementTimeoutMs });
  } else {
    kind = 'pglite';
    if (options.url === 'memory://') {
      pglite = new PGlite('memory://', { loadDataDir: await templateArchive(options.pgliteTemplate) });
    } else if (options.url) {
      throw new Error(
        `Database URL for ${options.service} must start with postgres:// or postgresql:// (or be memory://); got "${options.url.split('@').pop()}".`,
      );
    } else {
      const dir = path.join(options.dataDir, options.service, 'pgdata');
      await createDataFolderOnce(dir, options.pgliteTemplate);
      pglite = new PGlite(dir);
    }
    await pglite.waitReady;
    factory = new PrismaPGlite(pglite);
  }

  const appliedMigrations = await applyMigrations(migrationTarget(options.service), factory);
  // Each request's statements stop once it is cancelled (request-deadline.ts).
  const client = cancellable(makeClient(countingFactory(factory, counter)));
  const counted = <T>(statement: Promise<T>) => track(counter, statement);
  let pool: pg.Pool | undefined;
  const directTransaction = async <T>(work: (query: DirectQuery) => Promise<T>): Promise<T> => {
    if (pglite) {
      return pglite.transaction((tx) =>
        work(async <Row>(sql: string, params?: unknown[]) => {
          throwIfCancelled();
          return (await counted(tx.query<Row>(sql, params))).rows;
        }),
      );
    }
    if (!pool) {
      pool = new pg.Pool({ connectionString: options.url, max: 2, statement_timeout: statementTimeoutMs });
      // An idle connection the server closes (a restart, a terminated backend, a dropped test database) is
      // removed by the pool and the next transaction opens a new one; without a listener the pool's 'error'
      // event would end the process. A query on a broken connection still rejects to its caller.
      pool.on('error', () => undefined);
    }
    const connection = await pool.connect();
    // A connection that breaks while checked out reports it to the statement running and also as an 'error'
    // event, which would end the process without a listener; one it breaks on is destroyed, not pooled again.
    connection.on('error', ignoreConnectionError);
    let broken: Error | undefined;
    try {
      await connection.query('BEGIN');
      const result = await work(async <Row>(sql: string, params?: unknown[]) => {
        throwIfCancelled();
        return (await counted(connection.query(sql, params))).rows as Row[];
      });
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      await connection.query('ROLLBACK').catch((rollbackFailed: Error) => {
        broken = rollbackFailed;
      });
      throw error;
    } finally {
      if (!broken) connection.off('error', ignoreConnectionError);
      connection.release(broken);
    }
  };
  return {
    client,
    kind,
    appliedMigrations,
    queryCount: () => counter.queries,
    statementsRunning: () => counter.running,
    uncounted: (work) => background.run(true, work),
    directTransaction,
    uncountedQuery: <Row>(sql: string, params?: unknown[]) =>
      background.run(true, () => directTransaction((query) => query<Row>(sql, params))),
    async close() {
      await client.$disconnect();
      await pool?.end();
      // PGlite keeps the process alive until it is closed (shared STACK.md).
      await pglite?.close();
    },
  };
}

const background = new AsyncLocalStorage<boolean>();

/** The 'error' listener of a checked-out direct connection: the failure reaches the caller through its statement. */
function ignoreConnectionError(): void {}

/**
 * Creates PGlite's data folder `dir` unless it holds a database (`PG_VERSION`), so that a process killed during the
 * first open never leaves a folder that cannot open. PGlite writes a new data folder file by file (its initdb runs
 * in memory, then ~1,000 files are copied in) and writes `PG_VERSION` before the copy ends; a SIGKILL in between
 * left a folder PGlite takes for a database and then fails to start on, at every later open (bench/RESULTS.md,
 * "PGlite on disk across SIGKILL"). So the folder is built beside `dir` and renamed into place once PGlite has
 * opened and closed it: a rename is atomic, and whatever a killed attempt left beside it is thrown away.
 */
async function createDataFolderOnce(dir: string, template: string | undefined): Promise<void> {
  if (
    await access(path.join(dir, 'PG_VERSION')).then(
      () => true,
      () => false,
    )
  )
    return;
  const staging = `${dir}.creating`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  const creating = new PGlite(staging, { loadDataDir: await templateArchive(template) });
  await creating.waitReady;
  await creating.close();
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
}

/** The template archive to unpack a new database from, if one is set. */
function templateArchive(template: string | undefined): Promise<Blob | undefined> {
  return template ? readPgliteTemplate(template) : Promise.resolve(undefined);
}

/** Statements sent by requests (background work is not counted): in all, and not answered yet. */
interface StatementCounter {
  queries: number;
  running: number;
}

/** Counts a statement a request sends, and while it runs. */
function track<T>(counter: StatementCounter, statement: Promise<T>): Promise<T> {
  if (background.getStore()) return statement;
  counter.queries += 1;
  counter.running += 1;
  return statement.finally(() => {
    counter.running -= 1;
  });
}

/** Wraps a driver adapter factory so that every statement sent to the database is counted. */
function countingFactory(inner: SqlMigrationAwareDriverAdapterFactory, counter: StatementCounter): SqlMigrationAwareDriverAdapterFactory {
  const count = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop === 'queryRaw' || prop === 'executeRaw') {
          return (query: SqlQuery) => track(counter, value.call(obj, query) as Promise<unknown>);
        }
        if (prop === 'startTransaction') {
          return async (...args: unknown[]) => count(await value.apply(obj, args));
        }
        return value.bind(obj);
      },
    });
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => count<SqlDriverAdapter>(await inner.connect()),
    connectToShadowDb: async () => count<SqlDriverAdapter>(await inner.connectToShadowDb()),
  };
}
