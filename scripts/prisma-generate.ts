/**
 * `prisma generate` for every service's schema, offline.
 *
 * Generating a client needs no schema engine, but the Prisma CLI still tries to download one first and
 * fails without internet. Pointing it at any existing executable skips the download (shared STACK.md).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { SUBGRAPHS } from '@care-graph/service-kit';

const root = path.join(__dirname, '..');
const prisma = require.resolve('prisma/build/index.js', { paths: [root] });
const only = process.argv[2];

for (const service of SUBGRAPHS.filter((s) => !only || s === only)) {
  const schema = path.join(root, 'prisma', service, 'schema.prisma');
  execFileSync(process.execPath, [prisma, 'generate', '--schema', schema], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/true',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  });
}
