#!/usr/bin/env node
// Runs a TypeScript entry point with @swc-node/register. tsx/esbuild would drop the decorator
// metadata type-graphql needs (see shared STACK.md), so every script and service starts here.

const path = require('node:path');

process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.base.json');
// Apollo's anonymous usage reporting is off everywhere unless an operator opts back in.
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
process.env.TURBO_TELEMETRY_DISABLED ??= '1';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.js <file.ts> [args…]');
  process.exit(2);
}
require('@swc-node/register');
process.argv = [process.argv[0], path.resolve(entry), ...args];
require(path.resolve(entry));
