#!/usr/bin/env node
// The package's `goodwix-1c` command (package.json "bin"): the TypeScript CLI run through tsx,
// as `npm start` runs the local stack. The code is cli/goodwix-1c.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/goodwix-1c.ts');
process.exitCode = await main(process.argv.slice(2));
