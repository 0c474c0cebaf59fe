/**
 * JSON-lines logging to stdout. Callers pass ids, counts and codes, never request variables or records:
 * the data here is PHI, and logs are not the place for it.
 */
type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger writing one JSON line per entry (stderr for warn/error), at `LOG_LEVEL` and above (default info). */
export function createLogger(service: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const threshold = ORDER[(env.LOG_LEVEL as LogLevel) ?? 'info'] ?? ORDER.info;
  const write =
    (level: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[level] < threshold) return;
      const line = JSON.stringify({ time: new Date().toISOString(), level, service, message, ...fields });
      (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
