// Worker-thread entry for TypeScript worker modules (roster parsing, matching, benchmark clients): loads
// `workerData.module` (an absolute path) through @swc-node/register, the same runner as the services.

const path = require('node:path');
const { workerData } = require('node:worker_threads');
process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', '..', '..', '..', 'tsconfig.base.json');
require('@swc-node/register');
require(workerData.module);
