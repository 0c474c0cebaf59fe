import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The repository root (service-kit lives at packages/service-kit/src). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Where embedded mode keeps its databases and dev keys, unless DATA_DIR says otherwise. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.DATA_DIR ?? path.join(repoRoot, '.data'));
}

/** A worker thread running the TypeScript module at `modulePath` (absolute), see worker-entry.js. */
export function tsWorker(modulePath: string, options: Omit<WorkerOptions, 'workerData'> & { workerData?: Record<string, unknown> } = {}): Worker {
  return new Worker(path.join(__dirname, 'worker-entry.js'), { ...options, workerData: { ...options.workerData, module: modulePath } });
}
