/**
 * The WASM-engine migration tool: writes migrations in Prisma's layout, applies them (recording
 * `_prisma_migrations` with checksums), and reports pending and edited migrations.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client as PgClient } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { freshPostgresDatabase } from '../../../scripts/in-process-graph';
import { applyMigrations, createMigration, type MigrationTarget, migrationStatus } from '../src';

const SCHEMA_V1 = `datasource db {\n  provider = "postgresql"\n}\n\nmodel Note {\n  id   String @id\n  text String\n}\n`;
const SCHEMA_V2 = SCHEMA_V1.replace('text String', 'text String\n  pinned Boolean @default(false)');

async function project(schema: string): Promise<MigrationTarget> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'migrate-'));
  await writeFile(path.join(dir, 'schema.prisma'), schema);
  return { schemaPath: path.join(dir, 'schema.prisma'), migrationsDir: path.join(dir, 'migrations') };
}

describe('migrations with the WASM schema engine', () => {
  const databases: PGlite[] = [];
  const database = () => {
    const db = new PGlite('memory://');
    databases.push(db);
    return db;
  };
  afterAll(async () => {
    await Promise.all(databases.map((db) => db.close()));
  });

  it('creates a migration in Prisma layout, applies it and records its checksum', async () => {
    const target = await project(SCHEMA_V1);
    const dir = await createMigration(target, 'init', new Date('2026-11-23T10:11:12Z'));
    expect(path.basename(dir!)).toBe('20261123101112_init');
    const sql = await readFile(path.join(dir!, 'migration.sql'), 'utf8');
    expect(sql).toContain('CREATE TABLE "Note"');
    expect(await readFile(path.join(target.migrationsDir, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');

    const db = database();
    expect(await migrationStatus(target, new PrismaPGlite(db))).toMatchObject({ applied: false, pending: ['20261123101112_init'] });
    expect(await applyMigrations(target, new PrismaPGlite(db))).toEqual(['20261123101112_init']);
    expect(await applyMigrations(target, new PrismaPGlite(db))).toEqual([]);
    expect(await migrationStatus(target, new PrismaPGlite(db))).toMatchObject({ applied: true, pending: [], edited: [] });

    const { rows } = await db.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM _prisma_migrations',
    );
    expect(rows).toEqual([{ migration_name: '20261123101112_init', checksum: createHash('sha256').update(sql).digest('hex') }]);
    await db.query(`INSERT INTO "Note" (id, text) VALUES ('n1', 'hello')`);
  });

  it('writes only the difference for a schema change, and nothing when there is none', async () => {
    const target = await project(SCHEMA_V1);
    await createMigration(target, 'init', new Date('2026-11-23T10:00:00Z'));
    expect(await createMigration(target, 'nothing', new Date('2026-11-23T10:30:00Z'))).toBeNull();
    await writeFile(target.schemaPath, SCHEMA_V2);
    const dir = await createMigration(target, 'add_pinned', new Date('2026-11-23T11:00:00Z'));
    const sql = await readFile(path.join(dir!, 'migration.sql'), 'utf8');
    expect(sql).toContain('ADD COLUMN     "pinned" BOOLEAN NOT NULL DEFAULT false');
    expect(sql).not.toContain('CREATE TABLE');
    expect((await readdir(target.migrationsDir)).sort()).toEqual([
      '20261123100000_init',
      '20261123110000_add_pinned',
      'migration_lock.toml',
    ]);

    const db = database();
    expect(await applyMigrations(target, new PrismaPGlite(db))).toEqual(['20261123100000_init', '20261123110000_add_pinned']);
  });

  it('reports an applied migration whose file was edited afterwards', async () => {
    const target = await project(SCHEMA_V1);
    const dir = await createMigration(target, 'init', new Date('2026-11-23T10:00:00Z'));
    const db = database();
    await applyMigrations(target, new PrismaPGlite(db));
    await appendFile(path.join(dir!, 'migration.sql'), '\n-- edited\n');
    expect(await migrationStatus(target, new PrismaPGlite(db))).toMatchObject({ applied: true, edited: ['20261123100000_init'] });
  });

  it('refuses a migration name that would not be a safe folder name', async () => {
    const target = await project(SCHEMA_V1);
    await expect(createMigration(target, '../escape')).rejects.toThrow('lower-case letters, digits and underscores');
  });
});

// The engine takes PostgreSQL's migration advisory lock and lets it go only with its connection: a pooled
// connection left open kept it for the pool's idle timeout, and the next start on that database waited
// (or, past Prisma's 10 s lock timeout, failed).
// On PostgreSQL only when TEST_POSTGRES_URL is set (CI sets it).
const POSTGRES = process.env.TEST_POSTGRES_URL;
if (POSTGRES) {
  describe('migrations on PostgreSQL', () => {
    it('close every connection they opened, so the migration lock is free as soon as they return', async () => {
      const { url, drop } = await freshPostgresDatabase(POSTGRES, 'migrate_lock');
      const probe = new PgClient({ connectionString: url });
      try {
        const target = await project(SCHEMA_V1);
        await createMigration(target, 'init', new Date('2026-11-23T10:00:00Z'));
        expect(await applyMigrations(target, new PrismaPg({ connectionString: url }))).toEqual(['20261123100000_init']);
        await probe.connect();
        const others = await probe.query(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        expect(others.rows[0].n).toBe(0);
        const locks = await probe.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
        expect(locks.rows[0].n).toBe(0);
        // A second start on the same database takes the lock at once and finds nothing to apply.
        expect(await applyMigrations(target, new PrismaPg({ connectionString: url }))).toEqual([]);
      } finally {
        await probe.end();
        await drop();
      }
    });
  });
}
