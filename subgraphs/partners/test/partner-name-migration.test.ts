/**
 * The migration that made partner names unique as users mean them, on a database that already holds
 * names equal under the rule (created before it): it never fails, the oldest partner keeps the key, later
 * ones get their id appended, display names stay as they were, and the keys it computes in SQL agree with
 * partnerNameKey() for the names it does not have to set apart. Run the way a service start runs it.
 */
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { applyMigrations } from '@care-graph/migrate';
import { migrationTarget } from '@care-graph/service-kit';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client as PgClient } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { DATABASE_KINDS, freshPostgresDatabase } from '../../../scripts/in-process-graph';
import { openPartnersDatabase } from '../src/db';
import { Prisma } from '../src/generated/prisma/client';
import { partnerNameColumns, partnerNameKey } from '../src/partner-name';

const BEFORE = '20261123202056_init';
const MIGRATION = '20261201134556_partner_name_key';

/** Partners as the old unique index on the display name let them be (ids say which is which). */
const EXISTING = [
  { id: 'p-front-1', name: 'Front Range Health Plan', createdAt: '2026-01-01T00:00:00Z' },
  { id: 'p-front-2', name: 'front range health plan', createdAt: '2026-02-01T00:00:00Z' },
  { id: 'p-front-3', name: ' FRONT  RANGE HEALTH PLAN\t', createdAt: '2026-03-01T00:00:00Z' },
  // Same time: the smaller id counts as the older.
  { id: 'p-arzte-b', name: 'ärzte nord', createdAt: '2026-01-05T00:00:00Z' },
  { id: 'p-arzte-a', name: 'ÄRZTE Nord', createdAt: '2026-01-05T00:00:00Z' },
  { id: 'p-rocky', name: 'Rocky Mountain ACO', createdAt: '2026-01-02T00:00:00Z' },
  { id: 'p-muller', name: 'Müller  Klinik', createdAt: '2026-01-03T00:00:00Z' },
  { id: 'p-fullwidth', name: 'ＡＣＯ\u00a0West', createdAt: '2026-01-04T00:00:00Z' },
];

const EXPECTED_KEYS: Record<string, string> = {
  'p-front-1': 'front range health plan',
  'p-front-2': 'front range health plan #p-front-2',
  'p-front-3': 'front range health plan #p-front-3',
  'p-arzte-a': 'ärzte nord',
  'p-arzte-b': 'ärzte nord #p-arzte-b',
  'p-rocky': 'rocky mountain aco',
  'p-muller': 'müller klinik',
  'p-fullwidth': 'aco west',
};

type Sql = (text: string, params?: unknown[]) => Promise<unknown>;

/** A migrations folder holding only what came before the name key. */
async function migrationsBefore(dir: string): Promise<string> {
  const source = migrationTarget('partners').migrationsDir;
  const target = path.join(dir, 'migrations-before');
  await mkdir(target, { recursive: true });
  await cp(path.join(source, BEFORE), path.join(target, BEFORE), { recursive: true });
  await cp(path.join(source, 'migration_lock.toml'), path.join(target, 'migration_lock.toml'));
  return target;
}

async function seedBefore(sql: Sql) {
  for (const partner of EXISTING) {
    await sql('INSERT INTO "Partner" ("id", "name", "createdAt") VALUES ($1, $2, $3)', [partner.id, partner.name, partner.createdAt]);
  }
}

describe.each(DATABASE_KINDS)('the partner name key migration on %s', (kind) => {
  let dataDir: string;
  let url: string | undefined;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-partner-names-'));
    const before = { ...migrationTarget('partners'), migrationsDir: await migrationsBefore(dataDir) };
    if (kind === 'pglite') {
      // The embedded database where a service keeps it, as an older build left it.
      const pgdata = path.join(dataDir, 'partners', 'pgdata');
      await mkdir(pgdata, { recursive: true });
      const pglite = new PGlite(pgdata);
      await applyMigrations(before, new PrismaPGlite(pglite));
      await seedBefore((text, params) => pglite.query(text, params));
      await pglite.close();
    } else {
      const database = await freshPostgresDatabase(process.env.TEST_POSTGRES_URL!, 'cg_partner_names');
      ({ url, drop } = database);
      await applyMigrations(before, new PrismaPg({ connectionString: url }));
      const client = new PgClient({ connectionString: url });
      await client.connect();
      try {
        await seedBefore((text, params) => client.query(text, params));
      } finally {
        await client.end();
      }
    }
  });

  afterAll(async () => {
    await drop?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('applies at service start, keeps every partner and name, and sets colliding ones apart by id', async () => {
    const database = await openPartnersDatabase({ url, dataDir });
    try {
      expect(database.appliedMigrations[0]).toBe(MIGRATION); // and any later ones
      const rows = await database.client.partner.findMany({ select: { id: true, name: true, nameKey: true }, orderBy: { id: 'asc' } });
      expect(Object.fromEntries(rows.map((r) => [r.id, r.nameKey]))).toEqual(EXPECTED_KEYS);
      expect(Object.fromEntries(rows.map((r) => [r.id, r.name]))).toEqual(Object.fromEntries(EXISTING.map((p) => [p.id, p.name])));

      // The SQL backfill and the service's rule agree wherever the migration did not have to set a name apart.
      for (const row of rows.filter((r) => !r.nameKey.includes(' #'))) expect(row.nameKey).toBe(partnerNameKey(row.name));

      // From now on the oldest owns the name: another one equal under the rule is refused by the index.
      const again = database.client.partner.create({ data: { id: 'p-front-4', ...partnerNameColumns('FRONT RANGE health plan') } });
      await expect(again).rejects.toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
      await expect(again).rejects.toMatchObject({ code: 'P2002' });
      expect(await database.client.partner.count()).toBe(EXISTING.length);
    } finally {
      await database.close();
    }
  });
});
