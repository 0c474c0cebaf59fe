/**
 * Starts the real graph in the test process (scripts/in-process-graph.ts) on throw-away databases:
 * in-memory PGlite, or fresh databases on the PostgreSQL server named by TEST_POSTGRES_URL, dropped on close.
 */
import { startInProcessGraph, type Graph } from '../../scripts/in-process-graph';

export type { Graph };

export type DatabaseKind = 'pglite' | 'postgresql';

/** The database kinds this run covers: PGlite always, PostgreSQL when TEST_POSTGRES_URL is set (CI). */
export const DATABASE_KINDS: DatabaseKind[] = process.env.TEST_POSTGRES_URL ? ['pglite', 'postgresql'] : ['pglite'];

/** The graph on `kind`: in-memory PGlite, or fresh PostgreSQL databases dropped when it closes. */
export function startGraph(kind: DatabaseKind = 'pglite'): Promise<Graph> {
  if (kind === 'pglite') return startInProcessGraph();
  const admin = process.env.TEST_POSTGRES_URL;
  if (!admin) throw new Error('TEST_POSTGRES_URL is not set');
  return startInProcessGraph({ postgres: admin });
}
