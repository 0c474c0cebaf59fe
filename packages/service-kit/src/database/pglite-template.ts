/**
 * A PGlite data folder archive that new embedded databases are unpacked from instead of running initdb.
 *
 * A new PGlite database runs initdb inside the WASM PostgreSQL: ~2.2 s of one core on the 2-core CI machine,
 * three times for every graph a test starts. Unpacking the same files from an archive takes ~0.5 s
 * (bench/RESULTS.md, "Figures behind design decisions"). initdb's output depends only on the PGlite build, so
 * one archive made with this process's PGlite serves every database it opens; the migrations still run on each
 * one as on any new database. The test run makes one at its start (`PGLITE_TEMPLATE`); services use it only
 * when that setting names one.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';

/** Writes a fresh database's data folder, as initdb leaves it, to `file` (whole or not at all). */
export async function writePgliteTemplate(file: string): Promise<void> {
  const pglite = new PGlite('memory://');
  try {
    await pglite.waitReady;
    const archive = await pglite.dumpDataDir('none');
    const partial = `${file}.partial`;
    await writeFile(partial, Buffer.from(await archive.arrayBuffer()));
    await rename(partial, file);
  } finally {
    await pglite.close();
  }
}

/** The archive at `file`, as PGlite's `loadDataDir` takes it; a clear error when it cannot be read. */
export async function readPgliteTemplate(file: string): Promise<Blob> {
  try {
    return new Blob([await readFile(file)]);
  } catch (error) {
    throw new Error(
      `PGLITE_TEMPLATE names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): ` +
        'unset it to create databases with initdb, or point it at an archive made by writePgliteTemplate.',
    );
  }
}
