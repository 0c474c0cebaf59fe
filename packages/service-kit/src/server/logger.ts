/**
 * JSON-lines logging to stdout. Callers pass ids, counts and codes, never request variables or records:
 * the data here is PHI, and logs are not the place for it.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';

type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * A logger writing one JSON line per entry (stderr for warn/error), at `LOG_LEVEL` and above (default info):
 * `{ time, level, service, message, …fields }`, where a field named `message` is written as `detail`.
 * With `LOG_CAPTURE_DIR` set, every entry at every level is also appended to `<dir>/<service>-<pid>.log`
 * whatever `LOG_LEVEL` says: the test suite's log scan reads what production would log at debug level
 * without the console showing more.
 */
export function createLogger(service: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const threshold = ORDER[(env.LOG_LEVEL as LogLevel) ?? 'info'] ?? ORDER.info;
  const capture = env.LOG_CAPTURE_DIR ? path.join(env.LOG_CAPTURE_DIR, `${service}-${process.pid}.log`) : undefined;
  const write =
    (level: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      const printed = ORDER[level] >= threshold;
      if (!printed && !capture) return;
      // A caller's `message` field (an error's text, typically) must not replace the entry's own: it is `detail`.
      const { message: detail, time: _time, level: _level, service: _service, ...rest } = fields;
      const entry = { time: new Date().toISOString(), level, service, message, ...(detail === undefined ? {} : { detail }), ...rest };
      const line = `${JSON.stringify(entry)}\n`;
      // Synchronous, so that a process that exits right after logging still leaves the line for the scan.
      if (capture) appendFileSync(capture, line);
      if (printed) (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
