import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker thread running the TypeScript module at `modulePath` (absolute), see worker-entry.js. */
export function tsWorker(modulePath: string, options: Omit<WorkerOptions, 'workerData'> & { workerData?: Record<string, unknown> } = {}): Worker {
  return new Worker(path.join(__dirname, 'worker-entry.js'), { ...options, workerData: { ...options.workerData, module: modulePath } });
}

/**
 * Node flags every service process starts with (the `start` scripts and `npm start` pass them; pass them
 * yourself when starting a service otherwise). A GraphQL request allocates a lot that dies with it: ~17 KB a
 * patient in a `matchPatients` batch (parsed JSON, graphql-js's coerced inputs, results). With V8's default
 * young generation that meant a collection every ~30 ms, copying the batches in flight each time: ~15% of
 * the service's thread. 64 MB semi-spaces cut the collections four-fold (bench/RESULTS.md); the memory is
 * only taken while the allocation rate calls for it.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=64'] as const;
