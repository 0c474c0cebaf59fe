/**
 * Jest globalSetup: the log capture (log-scan-setup.ts); the admin pages' build, made once before any suite —
 * the browser tests load them, and suites that start `npm start` in parallel would otherwise each try to build
 * them into the same folder (it is the build `npm start` makes, tools/src/admin-build.ts); and a PGlite template
 * (`PGLITE_TEMPLATE`, packages/service-kit/src/database/pglite-template.ts) that every embedded database the
 * suites create is unpacked from instead of running initdb, ~1.7 s less of a core each. `PGLITE_TEMPLATE=off`
 * runs the suites with initdb.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writePgliteTemplate } from '@care-graph/service-kit';
import { ensureAdminBuild } from '../tools/src/admin-build';
import startLogCapture from './log-scan-setup';

export default async function setup(): Promise<void> {
  startLogCapture();
  await Promise.all([ensureAdminBuild((line) => process.stdout.write(`${line}\n`)), makePgliteTemplate()]);
}

async function makePgliteTemplate(): Promise<void> {
  if (process.env.PGLITE_TEMPLATE === 'off') {
    delete process.env.PGLITE_TEMPLATE;
    return;
  }
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'care-graph-pglite-template-')), 'pgdata.tar');
  await writePgliteTemplate(file);
  process.env.PGLITE_TEMPLATE = file;
}
