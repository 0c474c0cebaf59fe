/**
 * The connection watermark (`transactionTime`) and the write stamps it relies on.
 *
 * Contract: every write stamped at or before the watermark has committed and is visible, and a page holds
 * nothing newer. So a client that pulls `gt: <previous transactionTime>` never misses a write and never
 * sees one twice — even when a writer that stamped early commits late (the HAPI FHIR / BFD failure).
 *
 * How: a writer first takes a transaction id, then reads the database clock for its stamp
 * (`writeStamp`). While it runs, PostgreSQL lists it in `pg_stat_activity` with a `backend_xid` and its
 * `xact_start`, which is at or before every stamp it takes. A reader (`computeWatermark`) reads the clock,
 * then the oldest such in-flight writer, and only then runs its data queries (each with a fresh snapshot):
 *
 *   watermark = floor_ms(min(clock, oldest in-flight writer's xact_start)) − 1 ms
 *
 * A writer not yet committed when the data was read either held an xid when the activity was read (then
 * its stamps are ≥ its xact_start > watermark), or took its xid afterwards (then its stamps are ≥ the
 * clock reading > watermark). Either way it lands after the watermark, where the next pull finds it.
 * On embedded PGlite (one connection) no reader overlaps a writer, and the clock alone is the watermark.
 *
 * Requirements: all writers use the database clock through `writeStamp`, and the service's role can see its
 * own writers in `pg_stat_activity` (one role per service, or `pg_read_all_stats`). Long write
 * transactions hold the watermark back for as long as they run: keep write transactions short.
 */

import { type SqlClient, sqlIdentifier } from './sql';

const MS = 1;

/**
 * Takes the stamp for a write transaction: call it first inside the transaction and use the result as
 * `lastUpdated` for every row it writes. Two statements on purpose: the xid must exist before the clock is
 * read (see above), and separate statements make that order certain.
 */
export async function writeStamp(tx: SqlClient): Promise<Date> {
  await tx.$queryRawUnsafe('SELECT pg_current_xact_id()::text AS xid');
  const [{ stamp }] = await tx.$queryRawUnsafe<{ stamp: Date }[]>(`SELECT date_trunc('milliseconds', clock_timestamp()) AS stamp`);
  return new Date(stamp);
}

/**
 * On embedded PGlite there is one connection, and a statement waits while a transaction is open on it. So
 * the clock reading is the watermark: the request's data query, sent after it, runs only once every writer
 * that stamped before the reading has committed, and later writers stamp after it.
 */
function embeddedWatermark(): Date {
  return new Date(Date.now() - MS);
}

/** One watermark reading; see the module comment for why the statements run in this order. */
export async function computeWatermark(client: SqlClient): Promise<Date> {
  const [{ now }] = await client.$queryRawUnsafe<{ now: Date }[]>('SELECT clock_timestamp() AS now');
  const [{ oldest }] = await client.$queryRawUnsafe<{ oldest: Date | null }[]>(
    `SELECT min(xact_start) AS oldest FROM pg_stat_activity
      WHERE backend_xid IS NOT NULL AND datname = current_database() AND pid <> pg_backend_pid()`,
  );
  // pg_stat_activity keeps microseconds; stamps are whole milliseconds: floor, then stay 1 ms below.
  const limit = Math.min(new Date(now).getTime(), oldest ? new Date(oldest).getTime() : Infinity);
  return new Date(Math.floor(limit) - MS);
}

/**
 * The service's clock: the latest watermark it knows (never moving backwards: a valid watermark stays
 * valid, since later writers stamp after it) and each table's high-water mark, the newest `lastUpdated`
 * committed. Both serve the empty-pull fast path; both are refreshed in the background and after the
 * service's own writes, so that other instances' writes are noticed within `refreshMs`.
 */
export class WatermarkClock {
  private latest = new Date(0);
  private readonly highWater = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: SqlClient,
    readonly tables: readonly string[],
    private readonly options: {
      refreshMs?: number;
      background?: <T>(work: () => Promise<T>) => Promise<T>;
      /** One connection (embedded PGlite): the clock is the watermark, see `embeddedWatermark`. */
      singleConnection?: boolean;
    } = {},
  ) {}

  /** A fresh watermark (two small queries on PostgreSQL, none embedded); also advances the remembered one. */
  async compute(): Promise<Date> {
    const computed = this.options.singleConnection ? embeddedWatermark() : await computeWatermark(this.client);
    if (computed > this.latest) this.latest = computed;
    return this.latest;
  }

  /** The latest watermark known without asking the database. */
  known(): Date {
    return this.latest;
  }

  /** Newest committed `lastUpdated` of a table as far as this process knows (null: unknown or empty). */
  highWaterMark(table: string): number | null {
    return this.highWater.get(table) ?? null;
  }

  /** Records the stamp of a write this process committed. */
  noteWrite(table: string, stamp: Date): void {
    const current = this.highWater.get(table);
    if (current === undefined || stamp.getTime() > current) this.highWater.set(table, stamp.getTime());
  }

  /** Recomputes the watermark and every table's high-water mark. */
  async refresh(): Promise<void> {
    await this.compute();
    for (const table of this.tables) {
      const [{ max }] = await this.client.$queryRawUnsafe<{ max: Date | null }[]>(
        `SELECT max("lastUpdated") AS max FROM ${sqlIdentifier(table)}`,
      );
      if (max) this.noteWrite(table, new Date(max));
      else if (!this.highWater.has(table)) this.highWater.set(table, -Infinity);
    }
  }

  /** Starts the background refresh (the timer never keeps the process alive). */
  async start(onError: (error: Error) => void): Promise<void> {
    const background = this.options.background ?? ((work) => work());
    await background(() => this.refresh());
    this.timer = setInterval(() => background(() => this.refresh()).catch(onError), this.options.refreshMs ?? 250);
    this.timer.unref();
  }

  /** Stops the background refresh. */
  stop(): void {
    clearInterval(this.timer);
  }
}
