// Jest runs every workspace's tests (unit tests beside the pure packages, end-to-end tests that start
// the real services in gateway/test). TypeScript goes through @swc/jest *with* decorator metadata, which
// type-graphql needs (shared STACK.md).
/** @type {import('jest').Config} */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/subgraphs', '<rootDir>/gateway', '<rootDir>/tools', '<rootDir>/scripts'],
  testMatch: ['**/test/**/*.test.ts'],
  // The multi-instance subscription suite needs a real PostgreSQL (and Redis for its second transport): without
  // TEST_POSTGRES_URL it has no test to run, which Jest counts as a failure, so it is left out.
  testPathIgnorePatterns: [
    '/node_modules/',
    ...(process.env.TEST_POSTGRES_URL ? [] : ['/tools/test/multi-instance-subscriptions\\.test\\.ts$']),
  ],
  transform: { '^.+\\.[tj]s$': ['@swc/jest', swc] },
  // The WASM schema engine's glue is ESM-only; let swc turn it into CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!@prisma/schema-engine-wasm/)'],
  testTimeout: 120_000,
  // Two suites at a time on the 2-core CI machine (Jest's default there is one): the suites wait on processes
  // and sockets part of the time; with two workers a run took 836 s instead of 1,042 s (1.47 cores busy).
  maxWorkers: 2,
  setupFiles: ['<rootDir>/scripts/jest-setup.js'],
  // Every log line of the run, at every level, is captured and scanned for PHI at the end (README, Tests); the
  // admin pages are built once before the suites that load them.
  globalSetup: '<rootDir>/scripts/test-setup.ts',
  globalTeardown: '<rootDir>/scripts/test-teardown.ts',
};
// PGlite loads Node built-ins with dynamic import(); Jest's sandbox allows that only with
// --experimental-vm-modules, which is why `npm test` starts Node with it.
