import path from 'node:path';

/** The repository root (this file is packages/service-kit/src/server/paths.ts). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

/** Where embedded mode keeps its databases and dev keys, unless DATA_DIR says otherwise. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.DATA_DIR ?? path.join(repoRoot, '.data'));
}
