/** Jest globalTeardown: removes the PGlite template test-setup.ts made, then runs the log scan (log-scan-teardown.ts). */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import scanCapturedLogs from './log-scan-teardown';

export default async function teardown(): Promise<void> {
  const template = process.env.PGLITE_TEMPLATE;
  if (template) await rm(path.dirname(template), { recursive: true, force: true });
  scanCapturedLogs();
}
