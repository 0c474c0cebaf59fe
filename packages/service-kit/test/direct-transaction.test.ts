/**
 * The database's direct path (`Database.directTransaction`), on PGlite and, when TEST_POSTGRES_URL is set,
 * on PostgreSQL: one transaction that commits as a whole or not at all, and — on PostgreSQL, where it has a
 * connection pool of its own — a server that closes the pool's idle connection (a restart, a terminated
 * backend), idle in the pool or in the middle of a transaction, costs that transaction, never the process
 * (an 'error' event without a listener used to end it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { eventually } from '../../../scripts/eventually';
import { DATABASE_KINDS, freshPostgresDatabase } from '../../../scripts/in-process-graph';
import { type Database, openDatabase } from '../src/database/open-database';

/** Only the direct path is exercised: the Prisma client the database is opened with is a stand-in. */
const noClient = () => ({ $disconnect: async () => undefined });

describe.each(DATABASE_KINDS)('directTransaction on %s', (kind) => {
  let database: Database<ReturnType<typeof noClient>>;
  let dataDir: string;
  let drop: (() => Promise<void>) | undefined;
  let url: string | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-direct-'));
    if (kind === 'postgresql') ({ url, drop } = await freshPostgresDatabase(process.env.TEST_POSTGRES_URL!, 'direct_transaction'));
    database = await openDatabase({ service: 'partners', url: url ?? 'memory://', dataDir }, noClient);
    await database.directTransaction((query) => query('CREATE TABLE direct_probe (n int PRIMARY KEY)'));
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  const count = async () =>
    (await database.directTransaction((query) => query<{ n: number }>('SELECT count(*)::int AS n FROM direct_probe')))[0].n;

  it('commits every statement of the transaction together', async () => {
    await database.directTransaction(async (query) => {
      await query('INSERT INTO direct_probe (n) VALUES ($1)', [1]);
      await query('INSERT INTO direct_probe (n) SELECT n + 1 FROM direct_probe WHERE n = $1', [1]);
    });
    expect(await count()).toBe(2);
  });

  it('keeps nothing of a transaction whose work throws, and rejects with its error', async () => {
    const before = await count();
    await expect(
      database.directTransaction(async (query) => {
        await query('INSERT INTO direct_probe (n) VALUES ($1)', [100]);
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    await expect(database.directTransaction((query) => query('INSERT INTO direct_probe (n) VALUES ($1)', [1]))).rejects.toThrow(
      /duplicate key/,
    );
    expect(await count()).toBe(before);
  });

  if (kind === 'postgresql') {
    it('rejects a transaction whose connection the server closes mid-way, and the next transaction works', async () => {
      const admin = new PgClient({ connectionString: url });
      await admin.connect();
      try {
        await expect(
          database.directTransaction(async (query) => {
            const [{ pid }] = await query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
            await admin.query('SELECT pg_terminate_backend($1)', [pid]);
            await query('INSERT INTO direct_probe (n) VALUES ($1)', [200]);
          }),
        ).rejects.toThrow();
      } finally {
        await admin.end();
      }
      expect(await count()).toBe(2);
    });

    it('survives the server closing its idle pooled connection, and the next transaction works', async () => {
      const [{ pid }] = await database.directTransaction((query) => query<{ pid: number }>('SELECT pg_backend_pid() AS pid'));
      const admin = new PgClient({ connectionString: url });
      await admin.connect();
      try {
        const [terminated] = (await admin.query('SELECT pg_terminate_backend($1) AS ok', [pid])).rows;
        expect(terminated.ok).toBe(true);
        // The pool learns of it through its idle connection's 'error' event: without a listener, that ends the process.
        const [{ pid: next }] = await eventually('a transaction after the termination', async () => {
          try {
            return await database.directTransaction((query) => query<{ pid: number }>('SELECT pg_backend_pid() AS pid'));
          } catch {
            return null;
          }
        });
        expect(next).not.toBe(pid);
        expect(await count()).toBe(2);
      } finally {
        await admin.end();
      }
    });
  }
});
