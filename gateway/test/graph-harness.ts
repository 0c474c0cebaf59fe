/**
 * Starts the real graph in the test process: the three subgraphs on throw-away databases (in-memory
 * PGlite, or fresh databases on the PostgreSQL server named by TEST_POSTGRES_URL) and the gateway in
 * front of them, on free ports. Tests talk to it over HTTP exactly as clients do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { signDevToken, startSubgraph, type Identity, type Role, type RunningSubgraph } from '@care-graph/service-kit';
import { post, request, type ClientOptions } from '@care-graph/operations';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { careRequestsSubgraph } from '../../subgraphs/care-requests/src';
import { popHealthSubgraph } from '../../subgraphs/pop-health/src';
import { partnersSubgraph } from '../../subgraphs/partners/src';
import type { PrismaClient as CareRequestsPrisma } from '../../subgraphs/care-requests/src/db';
import type { PrismaClient as PopHealthPrisma } from '../../subgraphs/pop-health/src/db';
import type { PrismaClient as PartnersPrisma } from '../../subgraphs/partners/src/db';
import { startGateway } from '../src/gateway';

export type DatabaseKind = 'pglite' | 'postgresql';

/** The database kinds this run covers: PGlite always, PostgreSQL when TEST_POSTGRES_URL is set (CI). */
export const DATABASE_KINDS: DatabaseKind[] = process.env.TEST_POSTGRES_URL ? ['pglite', 'postgresql'] : ['pglite'];

/** A fresh database on the test PostgreSQL server; dropped by the returned function. */
export async function freshPostgresDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.TEST_POSTGRES_URL;
  if (!admin) throw new Error('TEST_POSTGRES_URL is not set');
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface Graph {
  url: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  subgraphs: {
    'care-requests': RunningSubgraph<CareRequestsPrisma>;
    'pop-health': RunningSubgraph<PopHealthPrisma>;
    partners: RunningSubgraph<PartnersPrisma>;
  };
  token(role: Role, partnerId?: string): Promise<string>;
  as(role: Role, partnerId?: string): Promise<ClientOptions>;
  /** Runs a typed operation as `role`; throws on any GraphQL error. */
  run<R, V>(role: Role | ClientOptions, document: TypedDocumentNode<R, V>, variables?: V): Promise<R>;
  post: typeof post;
  close(): Promise<void>;
}

export async function startGraph(kind: DatabaseKind = 'pglite'): Promise<Graph> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-test-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, INTERNAL_AUTH_SECRET: randomBytes(32).toString('hex') };
  delete env.AUTH_JWKS_URL;
  const cleanups: (() => Promise<void>)[] = [async () => rm(dataDir, { recursive: true, force: true })];
  const started: RunningSubgraph<unknown>[] = [];
  try {
    const definitions = [careRequestsSubgraph, popHealthSubgraph, partnersSubgraph] as const;
    const running = await Promise.all(
      definitions.map(async (definition) => {
        let databaseUrl = 'memory://';
        if (kind === 'postgresql') {
          const db = await freshPostgresDatabase(`cg_${definition.name}`);
          cleanups.push(db.drop);
          databaseUrl = db.url;
        }
        const subgraph = await startSubgraph(
          definition as never,
          { service: definition.name, port: 0, host: '127.0.0.1', databaseUrl, dataDir, seedDemoData: false },
          env,
        );
        started.push(subgraph);
        return subgraph;
      }),
    );
    const subgraphs = Object.fromEntries(running.map((s) => [s.name, s])) as unknown as Graph['subgraphs'];
    const gateway = await startGateway({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      env,
      subgraphUrls: Object.fromEntries(running.map((s) => [s.name, s.url])),
    });
    const token = (role: Role, partnerId?: string) => {
      const identity: Identity = { subject: `test-${role}`, role, ...(partnerId ? { partnerId } : {}) };
      return signDevToken(dataDir, identity);
    };
    const as = async (role: Role, partnerId?: string): Promise<ClientOptions> => ({ url: gateway.url, token: await token(role, partnerId) });
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
