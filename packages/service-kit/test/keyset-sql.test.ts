/**
 * The one SQL dialect of list pages against the contract's reference rules: seeded random rows (duplicate,
 * null and scattered `lastUpdated`), random `lastUpdated` filters (compiled by `@care-graph/since`),
 * watermarks and cursors. The page a real database returns must be exactly the rows the in-memory model
 * selects with `matchesLastUpdated`, in the same order. Runs on PGlite, and on PostgreSQL when
 * TEST_POSTGRES_URL is set.
 */

import {
  compileLastUpdated,
  LAST_UPDATED_OPERATORS,
  type LastUpdatedCondition,
  type LastUpdatedFilterInput,
  matchesLastUpdated,
} from '@care-graph/since';
import { PGlite } from '@electric-sql/pglite';
import { Client as PgClient } from 'pg';
import type { SqlClient } from '../src/database/sql';
import { type Cursor, decodeCursor, encodeCursor } from '../src/lists/cursor';
import { queryPage, type SincePageQuery } from '../src/lists/keyset-sql';
import { type Random, withSeed } from './seeded-random';

interface Row {
  id: string;
  lastUpdated: Date | null;
}

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 0, 30, 22, 0, 0);
const TRIALS = 60;

/**
 * Instants clustered around BASE (±3 days) so that filters of every precision cut through them; many fall
 * exactly on a second, minute, hour, day or month boundary, where an inclusive/exclusive mistake shows.
 */
function instants(random: Random): number[] {
  return Array.from({ length: random.int(3, 25) }, () => {
    const at = BASE + random.int(-3 * DAY, 3 * DAY);
    const unit = random.pick([1, 1, 1000, 60_000, 3_600_000, DAY]);
    return random.chance(0.1) ? Date.UTC(2026, 1, 1) : at - (at % unit);
  });
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A PartialDateTime around an instant, at a random precision and zone. */
function partialDateTime(random: Random, at: number): string {
  const offsetMinutes = random.pick([0, 0, 60, -300, 330]);
  const local = new Date(at + offsetMinutes * 60_000);
  const zone =
    offsetMinutes === 0
      ? random.pick(['', 'Z'])
      : `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
  switch (random.int(0, 5)) {
    case 0:
      return `${local.getUTCFullYear()}`;
    case 1:
      return date.slice(0, 7);
    case 2:
      return date;
    case 3:
      return `${date}T${time}${zone}`;
    case 4:
      return `${date}T${time}:${pad(local.getUTCSeconds())}${zone}`;
    default:
      return `${date}T${time}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}${zone}`;
  }
}

function randomFilter(random: Random, pool: number[]): LastUpdatedFilterInput | undefined {
  if (random.chance(0.25)) return undefined;
  const filter: LastUpdatedFilterInput = {};
  for (let i = random.int(1, 2); i > 0; i -= 1)
    filter[random.pick(LAST_UPDATED_OPERATORS)] = partialDateTime(random, random.pick(pool) + random.int(-2, 2));
  return filter;
}

const randomId = (random: Random) => Array.from({ length: 6 }, () => '0123456789abcdef'[random.int(0, 15)]).join('');

/** `(lastUpdated NULLS LAST, id)` order. */
function compare(a: Cursor, b: Cursor): number {
  const at = a.lastUpdated?.getTime() ?? Infinity;
  const bt = b.lastUpdated?.getTime() ?? Infinity;
  return at !== bt ? at - bt : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The reference: visible at the watermark, admitted by the filter, after the cursor, in keyset order. */
function expectedPage(rows: Row[], query: SincePageQuery): string[] {
  const cursor = query.after ? decodeCursor(query.after) : null;
  return rows
    .filter((row) => row.lastUpdated === null || row.lastUpdated.getTime() <= query.transactionTime.getTime())
    .filter((row) => matchesLastUpdated(query.condition, row.lastUpdated?.getTime() ?? null))
    .filter((row) => !cursor || compare(row, cursor) > 0)
    .sort(compare)
    .slice(0, query.take)
    .map((row) => row.id);
}

interface Target {
  client: SqlClient;
  close(): Promise<void>;
}

async function pglite(): Promise<Target> {
  const db = new PGlite('memory://');
  return {
    client: { $queryRawUnsafe: async <T>(sql: string, ...values: unknown[]) => (await db.query(sql, values)).rows as T },
    close: () => db.close(),
  };
}

async function postgres(): Promise<Target> {
  const db = new PgClient({ connectionString: process.env.TEST_POSTGRES_URL });
  await db.connect();
  return {
    client: { $queryRawUnsafe: async <T>(sql: string, ...values: unknown[]) => (await db.query(sql, values)).rows as T },
    close: () => db.end(),
  };
}

const TARGETS: [string, () => Promise<Target>][] = [
  ['PGlite', pglite],
  ...(process.env.TEST_POSTGRES_URL ? [['PostgreSQL', postgres] as [string, () => Promise<Target>]] : []),
];

describe.each(TARGETS)('keyset SQL pages on %s', (_name, open) => {
  let target: Target;
  beforeAll(async () => {
    target = await open();
    await target.client.$queryRawUnsafe('CREATE TEMP TABLE "KeysetRow" (id text PRIMARY KEY, "lastUpdated" timestamptz)');
  });
  afterAll(() => target.close());

  it('select exactly the rows matchesLastUpdated selects, in keyset order, for random rows, filters, watermarks and cursors', () =>
    withSeed(async (random) => {
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const pool = instants(random);
        const ids = new Set<string>();
        const count = random.int(20, 80);
        while (ids.size < count) ids.add(randomId(random));
        const rows: Row[] = [...ids].map((id) => ({ id, lastUpdated: random.chance(0.15) ? null : new Date(random.pick(pool)) }));
        await target.client.$queryRawUnsafe('DELETE FROM "KeysetRow"');
        await target.client.$queryRawUnsafe(
          `INSERT INTO "KeysetRow" (id, "lastUpdated") SELECT * FROM unnest($1::text[], $2::timestamptz[])`,
          rows.map((r) => r.id),
          rows.map((r) => r.lastUpdated?.toISOString() ?? null),
        );
        for (let page = 0; page < 8; page += 1) {
          const filter = randomFilter(random, pool);
          const condition: LastUpdatedCondition = compileLastUpdated(filter);
          const cursorRow = random.pick<Cursor | null>([
            null,
            random.pick(rows),
            random.pick(rows),
            { id: randomId(random), lastUpdated: random.chance(0.3) ? null : new Date(random.pick(pool)) },
          ]);
          const query: SincePageQuery = {
            condition,
            transactionTime: new Date(random.chance(0.3) ? BASE + 10 * DAY : random.pick(pool) + random.int(-1, 1)),
            take: random.chance(0.2) ? 1000 : random.int(1, 15),
            after: cursorRow ? encodeCursor(cursorRow, 'keyset-test') : null,
          };
          const found = (await queryPage<Row>(target.client, 'KeysetRow', query)).map((row) => row.id);
          const context =
            `trial ${trial}, page ${page}: filter ${JSON.stringify(filter)}, cursor ${JSON.stringify(cursorRow)}, ` +
            `watermark ${query.transactionTime.toISOString()}, take ${query.take}`;
          expect({ context, ids: found }).toEqual({ context, ids: expectedPage(rows, query) });
        }
      }
    }));

  it('walk a whole list page by page without skipping or repeating rows that share a timestamp', async () => {
    const rows: Row[] = Array.from({ length: 57 }, (_, i) => ({
      id: `w${pad(i, 3)}`,
      lastUpdated: i % 7 === 0 ? null : new Date(BASE + (i % 3)),
    }));
    await target.client.$queryRawUnsafe('DELETE FROM "KeysetRow"');
    await target.client.$queryRawUnsafe(
      `INSERT INTO "KeysetRow" (id, "lastUpdated") SELECT * FROM unnest($1::text[], $2::timestamptz[])`,
      rows.map((r) => r.id),
      rows.map((r) => r.lastUpdated?.toISOString() ?? null),
    );
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Row[] = await queryPage<Row>(target.client, 'KeysetRow', {
        condition: compileLastUpdated(undefined),
        transactionTime: new Date(BASE + DAY),
        take: 5,
        after,
      });
      seen.push(...page.map((r) => r.id));
      if (page.length < 5) break;
      const last = page[page.length - 1];
      after = encodeCursor({ id: last.id, lastUpdated: last.lastUpdated && new Date(last.lastUpdated) }, 'keyset-test');
    }
    expect(seen).toEqual([...rows].sort(compare).map((r) => r.id));
  });
});
