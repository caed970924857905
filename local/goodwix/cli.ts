/**
 * `npm run sandbox:goodwix -- --port 8702 [--seed demo|empty] [--token-ttl 3600]`
 * Starts the Goodwix sandbox seeded with the demo supplier, prints where it listens and how to
 * log in, and runs until SIGINT / SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startGoodwixSandbox } from './sandbox.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    seed: { type: 'string', default: 'demo' },
    'token-ttl': { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be 0..65535, got ${values.port}`);
  process.exit(2);
}
if (values.seed !== 'demo' && values.seed !== 'empty') {
  console.error(`--seed must be demo or empty, got ${values.seed}`);
  process.exit(2);
}
const ttl = values['token-ttl'] === undefined ? undefined : Number(values['token-ttl']);

// The handlers are in place before the sandbox starts: a Ctrl+C the moment the banner shows (or
// during the start) still closes the server instead of killing the process by the signal.
const starting = startGoodwixSandbox({ port, seed: values.seed, ...(ttl !== undefined ? { tokenTtlSeconds: ttl } : {}) });
let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing the Goodwix sandbox`);
  await (await starting).close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

const sandbox = await starting;
console.log(`Goodwix sandbox listening on ${sandbox.baseUrl}`);
console.log(`  API:       ${sandbox.baseUrl}/api/v1  (contract: docs/goodwix-api.md)`);
console.log(`  catalog:   ${sandbox.catalogId}`);
console.log(`  login:     ${sandbox.supplier.email} / ${sandbox.supplier.password}`);
console.log(`  buyer and supplier actions, faults: ${sandbox.baseUrl}/_sandbox/…`);
