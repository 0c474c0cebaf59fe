import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker thread running the TypeScript module at `modulePath` (absolute), see worker-entry.js. */
export function tsWorker(
  modulePath: string,
  options: Omit<WorkerOptions, 'workerData'> & { workerData?: Record<string, unknown> } = {},
): Worker {
  return new Worker(path.join(__dirname, 'worker-entry.js'), { ...options, workerData: { ...options.workerData, module: modulePath } });
}

/**
 * Node flags every service process starts with (the `start` scripts and `npm start` pass them; pass them
 * yourself when starting a service otherwise). A GraphQL request allocates a lot that dies with it (parsed
 * JSON, graphql-js's coerced inputs, results), and with V8's default young generation the collections that
 * copy the batches in flight took a large share of the service's thread. Larger semi-spaces cut them
 * (figures: bench/RESULTS.md, "Figures behind design decisions"); the memory is only taken while the
 * allocation rate calls for it.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=64'] as const;
