// Worker-thread entry for roster parsing: loads the TypeScript implementation through @swc-node/register
// (the same runner as the services; decorator metadata is not needed here).
'use strict';
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', '..', '..', 'tsconfig.base.json');
require('@swc-node/register');
require('./roster-parser.ts');
