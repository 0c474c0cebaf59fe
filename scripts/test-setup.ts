/**
 * Jest globalSetup: the log capture (log-scan-setup.ts), then the admin pages' build, made once before any
 * suite — the browser tests load them, and suites that start `npm start` in parallel would otherwise each
 * try to build them into the same folder. It is the build `npm start` makes (tools/src/admin-build.ts).
 */
import { ensureAdminBuild } from '../tools/src/admin-build';
import startLogCapture from './log-scan-setup';

export default async function setup(): Promise<void> {
  startLogCapture();
  await ensureAdminBuild((line) => process.stdout.write(`${line}\n`));
}
