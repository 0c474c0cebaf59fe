/**
 * The PGlite template (`PGLITE_TEMPLATE`): a new embedded database unpacked from it — in memory or on disk —
 * is the database initdb would have made (the service's migrations apply to it, it keeps what is written); an
 * existing data folder opens as it is, without the template; a template that cannot be read is a clear error.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Database, openDatabase } from '../src/database/open-database';
import { writePgliteTemplate } from '../src/database/pglite-template';

/** Only the driver is exercised: the Prisma client the database is opened with is a stand-in. */
const noClient = () => ({ $disconnect: async () => undefined });

describe('new embedded databases from a PGlite template', () => {
  let dir: string;
  let template: string;
  const opened: Database<ReturnType<typeof noClient>>[] = [];
  const open = async (options: { url?: string; dataDir?: string; pgliteTemplate?: string }) => {
    const database = await openDatabase({ service: 'partners', dataDir: dir, ...options }, noClient);
    opened.push(database);
    return database;
  };
  const tables = async (database: Database<unknown>) =>
    (
      await database.directTransaction((query) =>
        query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"),
      )
    ).map((row) => row.name);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'care-graph-template-'));
    template = path.join(dir, 'pgdata.tar');
    await writePgliteTemplate(template);
  });
  afterAll(async () => {
    await Promise.all(opened.map((database) => database.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('in memory: the same migrations apply and give the same tables as a database made by initdb', async () => {
    const fromInitdb = await open({ url: 'memory://' });
    const fromTemplate = await open({ url: 'memory://', pgliteTemplate: template });
    expect(fromInitdb.appliedMigrations.length).toBeGreaterThan(0);
    expect(fromTemplate.appliedMigrations).toEqual(fromInitdb.appliedMigrations);
    expect(await tables(fromTemplate)).toEqual(await tables(fromInitdb));
  });

  it('on disk: the folder is made from the template, keeps what is written, and later opens without it', async () => {
    const dataDir = path.join(dir, 'on-disk');
    const first = await open({ dataDir, pgliteTemplate: template });
    await first.directTransaction((query) => query('CREATE TABLE kept (n int)'));
    await first.directTransaction((query) => query('INSERT INTO kept VALUES (7)'));
    await first.close();
    opened.splice(opened.indexOf(first), 1);

    const missing = path.join(dir, 'gone.tar');
    const again = await open({ dataDir, pgliteTemplate: missing });
    expect(again.appliedMigrations).toEqual([]);
    expect(await again.directTransaction((query) => query<{ n: number }>('SELECT n FROM kept'))).toEqual([{ n: 7 }]);
  });

  it('refuses a template that cannot be read, naming the setting and what to do', async () => {
    const missing = path.join(dir, 'missing.tar');
    await expect(open({ url: 'memory://', pgliteTemplate: missing })).rejects.toThrow(
      `PGLITE_TEMPLATE names ${missing}, which cannot be read (ENOENT): unset it`,
    );
  });

  it('writes the archive under its name only once it is whole: nothing is left beside it', async () => {
    const file = path.join(dir, 'second.tar');
    await writePgliteTemplate(file);
    await expect(access(`${file}.partial`)).rejects.toThrow('ENOENT');
    const fromIt = await open({ url: 'memory://', pgliteTemplate: file });
    expect(fromIt.appliedMigrations.length).toBeGreaterThan(0);
  });
});
