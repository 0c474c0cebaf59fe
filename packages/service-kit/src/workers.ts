import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker thread running the TypeScript module at `modulePath` (absolute), see worker-entry.js. */
export function tsWorker(modulePath: string, options: Omit<WorkerOptions, 'workerData'> & { workerData?: Record<string, unknown> } = {}): Worker {
  return new Worker(path.join(__dirname, 'worker-entry.js'), { ...options, workerData: { ...options.workerData, module: modulePath } });
}
