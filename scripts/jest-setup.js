// PGlite loads Node built-ins with dynamic import(); Jest's sandbox allows that only with
// --experimental-vm-modules, which is why `npm test` starts Node with it.
// Apollo's anonymous telemetry stays off in tests as everywhere else.
process.env.APOLLO_TELEMETRY_DISABLED = 'true';
// Quiet the services' JSON logs during tests unless asked for (LOG_LEVEL=info npm test).
process.env.LOG_LEVEL ??= 'error';

// The log scan (scripts/log-scan-setup.ts) reads what the code under test prints through `console` (a
// library's warnings, say) beside the services' own log lines, which createLogger captures itself.
if (process.env.LOG_CAPTURE_DIR) {
  const { appendFileSync } = require('node:fs');
  const { format } = require('node:util');
  const file = require('node:path').join(process.env.LOG_CAPTURE_DIR, `console-${process.pid}.log`);
  for (const method of ['debug', 'log', 'info', 'warn', 'error']) {
    const print = console[method];
    console[method] = function capturedConsole(...args) {
      appendFileSync(file, `${format(...args)}\n`);
      return print.apply(this, args);
    };
  }
}
