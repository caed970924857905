/**
 * `npm start`: the exchange on this machine, no AWS account needed.
 *
 *   npm start                      the demo: three exchanges of the demo supplier, printed, then exit 0
 *   npm start -- --serve           keep the local deployment running: control API, both sandboxes, the tick
 *   npm start -- --plan plan.json --secrets secrets.json [--serve]
 *                                  point the local runtime at a real Goodwix account and a real 1C base
 *
 * The embedded default starts DynamoDB Local, the SQS emulator, the Goodwix and 1C sandboxes
 * seeded with the demo supplier, and the same handlers AWS would run.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { api, exchange, printRun, runDemoRounds } from './demo/rounds.ts';
import { startGoodwixSandbox } from './goodwix/sandbox.ts';
import { startOneCSandbox } from './onec/sandbox.ts';
import { DEMO_PLAN_ID } from './runtime/demo-plan.ts';
import { startLocalRuntime, type LocalRuntime } from './runtime/runtime.ts';
import { OneCTrade } from '#onec/trade';
import { LocalSecretsProvider } from '#secrets/secrets';

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    plan: { type: 'string' },
    secrets: { type: 'string' },
    /** The handlers' structured logs: quiet for the demo's printout, WARN when serving */
    'log-level': { type: 'string' },
  },
});

const out = (line = '') => console.log(line);
const logLevel = (args['log-level'] ?? (args.serve || args.plan ? 'WARN' : 'ERROR')).toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

async function demo(): Promise<void> {
  const [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'demo' })]);
  const onec = OneCTrade.connect({ baseUrl: onecSandbox.baseUrl, login: onecSandbox.login, password: onecSandbox.password });
  let runtime: LocalRuntime | undefined;
  try {
    runtime = await startLocalRuntime({
      demo: { onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl },
      tick: false,
      logLevel,
      print: () => undefined,
    });
    out('goodwix-1c-exchange — demo of the embedded default');
    out(`  1C sandbox:      ${onecSandbox.baseUrl}`);
    out(`  Goodwix sandbox: ${goodwixSandbox.baseUrl}`);
    out(`  control API:     ${runtime.apiUrl}`);
    out();

    await runDemoRounds(runtime, goodwixSandbox, onec, out);
    out();
    out('Done. `npm start -- --serve` keeps all of this running to explore.');
  } finally {
    onec.close();
    await runtime?.close();
    await Promise.all([onecSandbox.close(), goodwixSandbox.close()]);
  }
}

async function serve(): Promise<void> {
  const [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'demo' })]);
  const runtime = await startLocalRuntime({ demo: { onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl }, logLevel });
  out(`1C sandbox:      ${onecSandbox.baseUrl}  (login ${onecSandbox.login} / ${onecSandbox.password})`);
  out(`Goodwix sandbox: ${goodwixSandbox.baseUrl}  (supplier ${goodwixSandbox.supplier.email} / ${goodwixSandbox.supplier.password}; buyer actions under /_sandbox/…)`);
  out(`Try:  curl -H "Authorization: Bearer ${runtime.token}" -X POST ${runtime.apiUrl}/plans/${DEMO_PLAN_ID}/runs`);
  out('The demo plan also runs on its schedule (every 5 minutes). Ctrl+C stops everything.');
  await waitForSignal();
  await runtime.close();
  await Promise.all([onecSandbox.close(), goodwixSandbox.close()]);
}

async function real(planFile: string, secretsFile: string | undefined, keepServing: boolean): Promise<void> {
  const plan = JSON.parse(await readFile(planFile, 'utf8')) as { id: string };
  const secrets = secretsFile ? await LocalSecretsProvider.fromFile(secretsFile) : new LocalSecretsProvider();
  const runtime = await startLocalRuntime({ plans: [plan as never], secrets, tick: keepServing, logLevel });
  try {
    out(`Plan ${plan.id}: checking…`);
    const check = await api(runtime, 'POST', `/plans/${plan.id}/check`);
    for (const item of check.items ?? []) out(`  ${item.ok ? 'ok ' : 'ERR'} ${item.subject}: ${item.message}`);
    if (!check.ok) process.exitCode = 1;
    else printRun(out, await exchange(runtime, plan.id));
    if (keepServing) await waitForSignal();
  } finally {
    await runtime.close();
  }
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

try {
  if (args.plan) await real(args.plan, args.secrets, args.serve ?? false);
  else if (args.serve) await serve();
  else await demo();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
