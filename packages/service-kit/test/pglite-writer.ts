/**
 * The writer of the PGlite kill test (pglite-durability.test.ts, scripts/pglite-kill-experiment.ts): opens the
 * partners database under `<dataDir>` exactly as a service does (openDatabase: on disk, migrations on open), reports
 * what the previous runs left, then commits transactions shaped like the backfill runner's (a page of rows and the
 * checkpoint in one transaction) until it is killed.
 *
 * Protocol on stdout, one line each, written only after the thing it reports happened:
 * - `opened <json>`: the database opened; the state found (see `State`).
 * - `large <seq>`: transaction `seq` is a large one and is about to be sent (a kill now lands inside it).
 * - `ack <seq>`: transaction `seq` committed (its COMMIT returned).
 * Stdout is a pipe, which Node writes synchronously on Linux, so an `ack` the parent read was committed first.
 *
 * Usage: pglite-writer.ts <dataDir> [--check] [--relaxed] [--large-every=<n>]
 * `--check` reports and exits; `--relaxed` writes through a PGlite instance opened with `relaxedDurability: true`.
 */
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../src/database/open-database';

/** What the writer finds on open; the parent compares it with the acknowledgements it read. */
export interface State {
  /** The checkpoint's last sequence number (0 before the first transaction). */
  checkpointSeq: number;
  /** Rows of the bulk table the checkpoint says exist. */
  checkpointBulkRows: number;
  /** Page rows present, and the highest sequence number among them. */
  pageRows: number;
  maxSeq: number;
  bulkRows: number;
  appliedMigrations: string[];
}

type Query = <Row>(sql: string, params?: unknown[]) => Promise<Row[]>;
type InTransaction = <T>(work: (query: Query) => Promise<T>) => Promise<T>;

const BULK_ROWS = 20_000;

async function open(dataDir: string, relaxed: boolean): Promise<{ transaction: InTransaction; applied: string[] }> {
  if (relaxed) {
    // openDatabase creates the folder and migrates it as a service would; the writes then go through an instance
    // that differs only by relaxedDurability.
    const { appliedMigrations, close } = await openDatabase({ service: 'partners', dataDir }, () => ({
      $disconnect: async () => undefined,
    }));
    await close();
    const pglite = new PGlite(path.join(dataDir, 'partners', 'pgdata'), { relaxedDurability: true });
    await pglite.waitReady;
    const transaction: InTransaction = (work) =>
      pglite.transaction((tx) => work(async <Row>(sql: string, params?: unknown[]) => (await tx.query<Row>(sql, params)).rows));
    return { transaction, applied: appliedMigrations };
  }
  const database = await openDatabase({ service: 'partners', dataDir }, () => ({ $disconnect: async () => undefined }));
  return { transaction: database.directTransaction, applied: database.appliedMigrations };
}

async function main() {
  const [dataDir, ...flags] = process.argv.slice(2);
  if (!dataDir) throw new Error('usage: pglite-writer.ts <dataDir> [--check] [--relaxed] [--large-every=<n>]');
  const largeEvery = Number(flags.find((flag) => flag.startsWith('--large-every='))?.split('=')[1] ?? 0);
  const { transaction, applied } = await open(dataDir, flags.includes('--relaxed'));

  await transaction(async (query) => {
    await query('CREATE TABLE IF NOT EXISTS durability_page (seq integer PRIMARY KEY, filler text NOT NULL)');
    await query('CREATE TABLE IF NOT EXISTS durability_bulk (seq integer NOT NULL, n integer NOT NULL, filler text NOT NULL)');
    await query(
      'CREATE TABLE IF NOT EXISTS durability_checkpoint (id integer PRIMARY KEY, last_seq integer NOT NULL, bulk_rows bigint NOT NULL)',
    );
    await query('INSERT INTO durability_checkpoint VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING');
  });
  const state = await transaction(async (query): Promise<State> => {
    const [checkpoint] = await query<{ last_seq: number; bulk_rows: string }>('SELECT last_seq, bulk_rows FROM durability_checkpoint');
    const [pages] = await query<{ rows: string; max: number | null }>('SELECT count(*) AS rows, max(seq) AS max FROM durability_page');
    const [bulk] = await query<{ rows: string }>('SELECT count(*) AS rows FROM durability_bulk');
    return {
      checkpointSeq: checkpoint.last_seq,
      checkpointBulkRows: Number(checkpoint.bulk_rows),
      pageRows: Number(pages.rows),
      maxSeq: pages.max ?? 0,
      bulkRows: Number(bulk.rows),
      appliedMigrations: applied,
    };
  });
  process.stdout.write(`opened ${JSON.stringify(state)}\n`);
  if (flags.includes('--check')) process.exit(0);

  for (let seq = state.checkpointSeq + 1; ; seq += 1) {
    const large = largeEvery > 0 && seq % largeEvery === 0;
    if (large) process.stdout.write(`large ${seq}\n`);
    await transaction(async (query) => {
      await query('INSERT INTO durability_page VALUES ($1, $2)', [seq, 'x'.repeat(200)]);
      if (large) {
        await query("INSERT INTO durability_bulk SELECT $1, n, repeat('y', 200) FROM generate_series(1, $2::integer) AS n", [
          seq,
          BULK_ROWS,
        ]);
      }
      await query('UPDATE durability_checkpoint SET last_seq = $1, bulk_rows = bulk_rows + $2 WHERE id = 1', [seq, large ? BULK_ROWS : 0]);
    });
    process.stdout.write(`ack ${seq}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`writer failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
