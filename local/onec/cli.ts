/**
 * `npm run sandbox:onec -- --port <p> [--publication <name>] [--empty] [--latency <ms>] [--cold-start <ms>]`
 *
 * Starts the 1C sandbox on 127.0.0.1 seeded with the demo base, prints its base URL and
 * credentials, and runs until SIGINT / SIGTERM, then closes cleanly.
 */
import { parseArgs } from 'node:util';
import { startOneCSandbox, type OneCSandboxOptions } from './sandbox.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    publication: { type: 'string' },
    empty: { type: 'boolean', default: false },
    latency: { type: 'string' },
    'cold-start': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write('Usage: npm run sandbox:onec -- --port <p> [--publication <name>] [--empty] [--latency <ms>] [--cold-start <ms>]\n');
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`Invalid --port: ${values.port}\n`);
  process.exit(2);
}

const options: OneCSandboxOptions = { port, seed: values.empty ? 'empty' : 'demo' };
if (values.publication) options.publication = values.publication;
const faults: NonNullable<OneCSandboxOptions['faults']> = {};
if (values.latency) faults.latencyMs = Number(values.latency);
if (values['cold-start']) faults.coldStartMs = Number(values['cold-start']);
if (Object.keys(faults).length > 0) options.faults = faults;

// The handlers are in place before the sandbox starts: a Ctrl+C the moment the banner shows (or
// during the start) still closes the server instead of killing the process by the signal.
const starting = startOneCSandbox(options);
let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the 1C sandbox\n`);
  starting
    .then((sandbox) => sandbox.close())
    .then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`close failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

const sandbox = await starting;
process.stdout.write(
  [
    '1C sandbox (UT 11 OData) is running',
    `  base URL: ${sandbox.baseUrl}`,
    `  login:    ${sandbox.login}`,
    `  password: ${sandbox.password}`,
    `  try:      curl -u '${sandbox.login}:${sandbox.password}' '${sandbox.baseUrl}Catalog_Номенклатура?$format=json&$select=Description,Артикул'`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n'),
);
