/**
 * Jest globalSetup: a fresh capture directory for this run, named in `LOG_CAPTURE_DIR` so that every
 * service — in the jest workers and in the processes tests spawn, which inherit the environment — copies
 * every log line into it at every level (service-kit's `createLogger`; console output in scripts/jest-setup.js).
 * A `LOG_CAPTURE_DIR` set by the caller is used as it is and kept; `LOG_SCAN=off` turns the scan off.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function startLogCapture(): void {
  if (process.env.LOG_SCAN === 'off') {
    delete process.env.LOG_CAPTURE_DIR;
    return;
  }
  if (process.env.LOG_CAPTURE_DIR) {
    mkdirSync(process.env.LOG_CAPTURE_DIR, { recursive: true });
    process.env.LOG_SCAN_KEEP = 'true';
    return;
  }
  process.env.LOG_CAPTURE_DIR = mkdtempSync(path.join(os.tmpdir(), 'care-graph-log-scan-'));
}
