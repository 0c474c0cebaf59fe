/**
 * Database migrations for the three services, with Prisma's layout and without its native engine.
 *
 *   npm run db:migration -- <service> <name>   write a new migration from the service's schema.prisma change
 *   npm run db:migrate [-- <service>]          apply pending migrations (also done by every service at start)
 *   npm run db:status [-- <service>]           show pending, edited or failed migrations
 *
 * The database is the one the service would open: `<SERVICE>_DATABASE_URL`, else embedded under `.data/`.
 */

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { applyMigrations, createMigration, migrationStatus } from '@care-graph/migrate';
import { databaseUrlFor, dataDir, migrationTarget, SUBGRAPHS, type SubgraphName } from '@care-graph/service-kit';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';

function parseService(value: string | undefined): SubgraphName[] {
  if (value === undefined) return [...SUBGRAPHS];
  if ((SUBGRAPHS as readonly string[]).includes(value)) return [value as SubgraphName];
  throw new Error(`Unknown service "${value}". Use one of: ${SUBGRAPHS.join(', ')}.`);
}

async function withAdapter<T>(service: SubgraphName, run: (f: PrismaPg | PrismaPGlite) => Promise<T>): Promise<T> {
  const url = databaseUrlFor(service);
  if (url && url !== 'memory://') return run(new PrismaPg({ connectionString: url }));
  const dir = path.join(dataDir(), service, 'pgdata');
  await mkdir(dir, { recursive: true });
  const db = new PGlite(dir);
  try {
    return await run(new PrismaPGlite(db));
  } finally {
    await db.close();
  }
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  switch (command) {
    case 'create': {
      const [service, name] = args;
      if (!service || !name) throw new Error('usage: npm run db:migration -- <service> <migration_name>');
      const [only] = parseService(service);
      const dir = await createMigration(migrationTarget(only), name);
      console.log(
        dir ? `created ${path.relative(process.cwd(), dir)}/migration.sql` : `${only}: schema.prisma has no change; no migration written`,
      );
      return;
    }
    case 'deploy':
      for (const service of parseService(args[0])) {
        const applied = await withAdapter(service, (f) => applyMigrations(migrationTarget(service), f));
        console.log(`${service}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
      }
      return;
    case 'status': {
      let clean = true;
      for (const service of parseService(args[0])) {
        const status = await withAdapter(service, (f) => migrationStatus(migrationTarget(service), f));
        clean &&= status.applied;
        console.log(`${service}: ${status.applied ? 'up to date' : JSON.stringify(status)}`);
      }
      process.exitCode = clean ? 0 : 1;
      return;
    }
    default:
      throw new Error('usage: db.ts create <service> <name> | deploy [service] | status [service]');
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
