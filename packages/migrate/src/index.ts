/**
 * Prisma migrations without Prisma's native schema engine.
 *
 * `prisma migrate` downloads a native engine, which these offline machines cannot do. The same engine is
 * published compiled to WebAssembly (`@prisma/schema-engine-wasm`) and talks to the database through a
 * driver adapter, so it works on embedded PGlite and on real PostgreSQL alike. Migrations stay in Prisma's
 * own layout (`migrations/<timestamp>_<name>/migration.sql`, `_prisma_migrations` with sha256 checksums),
 * so anyone with the native engine can still run plain `prisma migrate deploy` on the same folders.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/** Where one service's migrations live and how to reach its database. */
export interface MigrationTarget {
  /** Path of the service's `schema.prisma`. */
  schemaPath: string;
  /** The `migrations/` folder beside it. */
  migrationsDir: string;
}

export interface MigrationStatus {
  applied: boolean;
  /** Migrations on disk the database has not run yet. */
  pending: string[];
  /** Applied migrations whose file changed afterwards: never edit an applied migration. */
  edited: string[];
  failed: string[];
  /** Applied migrations that are missing on disk (a newer build ran against this database). */
  unknown: string[];
}

// The engine's glue module is ESM with no top-level await, so require() loads it (Node >= 20.19).
type EngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg', { with: { 'resolution-mode': 'import' }});
// Node has WebAssembly; @types/node 20 does not declare it (only lib.dom does).
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
};
type Engine = Awaited<ReturnType<EngineModule['SchemaEngine']['new']>>;

let engineModule: Promise<EngineModule> | undefined;

/** Instantiates the WASM module once per process; each engine instance is cheap after that. */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const glue: EngineModule = require('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');
    // The engine's timers (connection timeouts) would keep a finished CLI or test process alive for
    // ~10 s after its last migration; unref them so that only real work holds the event loop.
    const imports: Record<string, unknown> = { ...glue };
    for (const name of Object.keys(imports).filter((key) => key.startsWith('__wbg_setTimeout_'))) {
      imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
    }
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': imports as never });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
    return glue;
  })();
  return engineModule;
}

async function withEngine<T>(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  run: (engine: Engine) => Promise<T>,
  log: (message: string) => void = () => {},
): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  // The engine takes PostgreSQL's migration advisory lock on a connection it opened and never unlocks:
  // the lock goes when that connection closes. Freeing the engine does not close it, so a pooled
  // connection kept the lock until the pool's idle timeout (10 s), and the next migration of the same
  // database (a service starting right after `db migrate`) waited that long or timed out. Close them.
  const opened: { dispose(): Promise<void> }[] = [];
  const tracked: SqlMigrationAwareDriverAdapterFactory = Object.assign(Object.create(adapterFactory), {
    connect: async () => {
      const adapter = await adapterFactory.connect();
      opened.push(adapter);
      return adapter;
    },
    connectToShadowDb: async () => {
      const adapter = await adapterFactory.connectToShadowDb();
      opened.push(adapter);
      return adapter;
    },
  });
  const engine = await SchemaEngine.new(
    { datamodels: undefined },
    (line: string) => log(line),
    bindMigrationAwareSqlAdapterFactory(tracked),
  );
  try {
    return await run(engine);
  } finally {
    engine.free();
    await Promise.all(opened.map((adapter) => adapter.dispose()));
  }
}

/** Reads the migrations folder in the shape the engine expects (directories sorted by name). */
export async function readMigrations(migrationsDir: string) {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const directories = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrationDirectories = await Promise.all(
    directories.map(async (name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok' as const, value: await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8') },
      },
    })),
  );
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null);
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

const filters = { externalTables: [], externalEnums: [] };

/** `prisma migrate deploy`: applies every pending migration; returns the names it applied. */
export async function applyMigrations(target: MigrationTarget, adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const migrationsList = await readMigrations(target.migrationsDir);
  return withEngine(adapterFactory, async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters });
    return appliedMigrationNames;
  });
}

/** `prisma migrate status`. */
export async function migrationStatus(
  target: MigrationTarget,
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
): Promise<MigrationStatus> {
  const migrationsList = await readMigrations(target.migrationsDir);
  const result = await withEngine(adapterFactory, (engine) =>
    engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters }),
  );
  const history = result.history;
  const pending =
    history?.diagnostic === 'databaseIsBehind' || history?.diagnostic === 'historiesDiverge' ? history.unappliedMigrationNames : [];
  const unknown =
    history?.diagnostic === 'migrationsDirectoryIsBehind' || history?.diagnostic === 'historiesDiverge'
      ? history.unpersistedMigrationNames
      : [];
  return {
    applied: result.hasMigrationsTable && history === null && result.failedMigrationNames.length === 0,
    pending: result.hasMigrationsTable ? pending : migrationsList.migrationDirectories.map((d) => d.path),
    edited: result.editedMigrationNames,
    failed: result.failedMigrationNames,
    unknown,
  };
}

/**
 * `prisma migrate dev --create-only`: diffs the schema against the state the existing migrations build
 * (replayed on a throw-away in-memory PGlite, so no database of the author's is touched) and writes the
 * difference as a new migration. Returns its folder, or `null` when the schema has no change.
 */
export async function createMigration(target: MigrationTarget, name: string, now = new Date()): Promise<string | null> {
  if (!/^[a-z0-9_]+$/.test(name)) {
    throw new Error(`Migration name "${name}" must be lower-case letters, digits and underscores, e.g. add_roster_index.`);
  }
  const schema = await readFile(target.schemaPath, 'utf8');
  const files = [{ path: target.schemaPath, content: schema }];
  const migrationsList = await readMigrations(target.migrationsDir);
  const shadow = new PGlite('memory://');
  try {
    const sql = await withEngine(new PrismaPGlite(shadow), async (engine) => {
      await engine.applyMigrations({ migrationsList, filters });
      const diff = await engine.diff({
        from: { tag: 'schemaDatasource', files, configDir: path.dirname(target.schemaPath) },
        to: { tag: 'schemaDatamodel', files },
        script: true,
        exitCode: true,
        filters,
      });
      return diff.exitCode === 0 ? null : (diff.stdout ?? '');
    });
    if (sql === null || sql.trim() === '') return null;
    const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const dir = path.join(target.migrationsDir, `${stamp}_${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'migration.sql'), sql);
    const lockPath = path.join(target.migrationsDir, 'migration_lock.toml');
    if (!(await stat(lockPath).catch(() => null))) {
      await writeFile(
        lockPath,
        '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
      );
    }
    return dir;
  } finally {
    await shadow.close();
  }
}
