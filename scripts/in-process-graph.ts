/**
 * The whole graph in one process: the three subgraphs (each on the database URL it is given, in-memory
 * PGlite by default) and the gateway in front of them, on free ports. Tests (of every workspace) and
 * benchmarks use it to talk to the real services over HTTP exactly as clients do; `npm start` runs the
 * same services as processes.
 */

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ClientOptions, post, request } from '@care-graph/operations';
import { type Identity, type Role, type RunningSubgraph, type SubgraphName, signDevToken, startSubgraph } from '@care-graph/service-kit';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Client as PgClient } from 'pg';
import { startGateway } from '../gateway/src/gateway';
import { careRequestsSubgraph } from '../subgraphs/care-requests/src';
import type { PrismaClient as CareRequestsPrisma } from '../subgraphs/care-requests/src/db';
import { partnersSubgraph } from '../subgraphs/partners/src';
import type { PrismaClient as PartnersPrisma } from '../subgraphs/partners/src/db';
import { popHealthSubgraph } from '../subgraphs/pop-health/src';
import type { PrismaClient as PopHealthPrisma } from '../subgraphs/pop-health/src/db';

export interface InProcessGraphOptions {
  /** Embedded databases on disk under the graph's data directory, as `npm start` keeps them (default: in memory). */
  onDisk?: boolean;
  /**
   * A PostgreSQL server (a URL whose role may create databases): each subgraph gets a fresh database there,
   * dropped when the graph closes.
   */
  postgres?: string;
  /** Settings added to the services' environment (e.g. BACKFILL_RUNNER=off for a test that drives the runner's parts itself). */
  env?: Record<string, string>;
}

/** A fresh database on the PostgreSQL server at `admin`; `drop` removes it. */
export async function freshPostgresDatabase(admin: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new PgClient({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE "${name}"`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** Each subgraph's Prisma client, so that a test reaches a subgraph's database with its own types. */
interface SubgraphClients {
  'care-requests': CareRequestsPrisma;
  'pop-health': PopHealthPrisma;
  partners: PartnersPrisma;
}

export interface Graph {
  url: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  subgraphs: { [name in SubgraphName]: RunningSubgraph<SubgraphClients[name]> };
  /** A dev token for `role` (a partner token needs `partnerId`); `email` becomes its email claim. */
  token(role: Role, partnerId?: string, email?: string): Promise<string>;
  as(role: Role, partnerId?: string, email?: string): Promise<ClientOptions>;
  /** Runs a typed operation as `role`; throws on any GraphQL error. */
  run<R, V>(role: Role | ClientOptions, document: TypedDocumentNode<R, V>, variables?: V): Promise<R>;
  post: typeof post;
  close(): Promise<void>;
}

export async function startInProcessGraph(options: InProcessGraphOptions = {}): Promise<Graph> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-test-'));
  // Embedded whatever the caller's environment says (benchmarks run with NODE_ENV=production): the graph signs
  // its tokens with the dev key, unless the test itself names an identity provider (options.env).
  const { AUTH_JWKS_URL: _callersProvider, ...callers } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...callers,
    CARE_GRAPH_MODE: 'embedded',
    DATA_DIR: dataDir,
    INTERNAL_AUTH_SECRET: randomBytes(32).toString('hex'),
    ...options.env,
  };
  const cleanups: (() => Promise<void>)[] = [async () => rm(dataDir, { recursive: true, force: true })];
  const started: RunningSubgraph<unknown>[] = [];
  try {
    const start = async (definition: typeof careRequestsSubgraph | typeof popHealthSubgraph | typeof partnersSubgraph) => {
      // In memory by default; on disk under dataDir when asked (as `npm start`); or a fresh PostgreSQL database.
      let databaseUrl = options.onDisk ? undefined : 'memory://';
      if (options.postgres) {
        const database = await freshPostgresDatabase(options.postgres, `cg_${definition.name}`);
        cleanups.push(database.drop); // after the subgraphs close (cleanups run last)
        databaseUrl = database.url;
      }
      const subgraph = await startSubgraph(
        definition as never,
        { service: definition.name, port: 0, host: '127.0.0.1', databaseUrl, dataDir, seedDemoData: false },
        env,
      );
      started.push(subgraph);
      return subgraph;
    };
    // Free ports tell a subgraph's URL only once it listens; the services look each other's URLs up in `env`
    // at every call, so each URL is set as soon as it is known (partners' runner calls pop-health, which
    // starts last because it calls care-requests and partners at once).
    const [careRequests, partners] = await Promise.all([start(careRequestsSubgraph), start(partnersSubgraph)]);
    env.CARE_REQUESTS_URL = careRequests.url;
    env.PARTNERS_URL = partners.url;
    const popHealth = await start(popHealthSubgraph);
    env.POP_HEALTH_URL = popHealth.url;
    const running = [careRequests, popHealth, partners];
    const subgraphs = Object.fromEntries(running.map((s) => [s.name, s])) as unknown as Graph['subgraphs'];
    const gateway = await startGateway({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      env,
      subgraphUrls: Object.fromEntries(running.map((s) => [s.name, s.url])),
    });
    const token = (role: Role, partnerId?: string, email?: string) => {
      const identity: Identity = { subject: `test-${role}`, role, ...(partnerId ? { partnerId } : {}), ...(email ? { email } : {}) };
      return signDevToken(dataDir, identity, { env });
    };
    const as = async (role: Role, partnerId?: string, email?: string): Promise<ClientOptions> => ({
      url: gateway.url,
      token: await token(role, partnerId, email),
    });
    return {
      url: gateway.url,
      dataDir,
      env,
      subgraphs,
      token,
      as,
      async run(role, document, variables) {
        const options = typeof role === 'string' ? await as(role) : role;
        return (request as (o: ClientOptions, d: unknown, v: unknown) => Promise<never>)(options, document, variables);
      },
      post,
      async close() {
        await gateway.close();
        await Promise.all(running.map((s) => s.close()));
        for (const cleanup of cleanups.reverse()) await cleanup();
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    for (const cleanup of cleanups.reverse()) await cleanup();
    throw error;
  }
}

export type DatabaseKind = 'pglite' | 'postgresql';

/** The database kinds a test run covers: PGlite always, PostgreSQL when TEST_POSTGRES_URL is set (CI). */
export const DATABASE_KINDS: DatabaseKind[] = process.env.TEST_POSTGRES_URL ? ['pglite', 'postgresql'] : ['pglite'];

/** The graph for a test on `kind`: in-memory PGlite, or fresh PostgreSQL databases dropped when it closes. */
export function startGraph(kind: DatabaseKind = 'pglite', options: Pick<InProcessGraphOptions, 'env'> = {}): Promise<Graph> {
  if (kind === 'pglite') return startInProcessGraph(options);
  const admin = process.env.TEST_POSTGRES_URL;
  if (!admin) throw new Error('TEST_POSTGRES_URL is not set');
  return startInProcessGraph({ ...options, postgres: admin });
}
