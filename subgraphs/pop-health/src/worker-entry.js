// Worker-thread entry for the service's TypeScript worker modules (roster parsing, matching): loads
// `workerData.module` through @swc-node/register, the same runner as the services.
'use strict';
const path = require('node:path');
const { workerData } = require('node:worker_threads');
process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', '..', '..', 'tsconfig.base.json');
require('@swc-node/register');
require(path.join(__dirname, workerData.module));
