// Apollo's anonymous telemetry stays off in tests as everywhere else.
process.env.APOLLO_TELEMETRY_DISABLED = 'true';
// Quiet the services' JSON logs during tests unless asked for (LOG_LEVEL=info npm test).
process.env.LOG_LEVEL ??= 'error';
