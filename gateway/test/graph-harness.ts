/**
 * Starts the real graph in the test process (scripts/in-process-graph.ts) on throw-away databases:
 * in-memory PGlite, or fresh databases on the PostgreSQL server named by TEST_POSTGRES_URL, dropped on close.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startInProcessGraph, type Graph } from '../../scripts/in-process-graph';

export type { Graph };

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

/** The graph on `kind`: in-memory PGlite, or fresh PostgreSQL databases dropped when it closes. */
export async function startGraph(kind: DatabaseKind = 'pglite'): Promise<Graph> {
  if (kind === 'pglite') return startInProcessGraph();
  const drops: (() => Promise<void>)[] = [];
  try {
    const graph = await startInProcessGraph({
      databaseUrl: async (service) => {
        const db = await freshPostgresDatabase(`cg_${service}`);
        drops.push(db.drop);
        return db.url;
      },
    });
    return {
      ...graph,
      async close() {
        await graph.close();
        for (const drop of drops) await drop();
      },
    };
  } catch (error) {
    for (const drop of drops) await drop();
    throw error;
  }
}
