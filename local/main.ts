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
import { startGoodwixSandbox, type GoodwixSandbox } from './goodwix/sandbox.ts';
import { startOneCSandbox, type OneCSandbox } from './onec/sandbox.ts';
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

// Signals are handled from the first moment: DynamoDB Local is a child process, and a process
// killed by the signal would leave it running. While serving, the first Ctrl+C closes everything
// in order; otherwise (the demo, a one-off exchange), or on a second Ctrl+C, the process exits
// at once with 130 and its exit hook kills the child processes.
let onStop: (() => void) | undefined;
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    signals += 1;
    if (onStop && signals === 1) onStop();
    else process.exit(130);
  });
}

/** Resolves on the first SIGINT / SIGTERM from now on (or at once if one came already). */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    if (signals > 0) resolve();
    else onStop = resolve;
  });
}

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
  const stopped = untilStopped();
  const [onecSandbox, goodwixSandbox] = await Promise.all([startOneCSandbox({ seed: 'demo' }), startGoodwixSandbox({ seed: 'demo' })]);
  let runtime: LocalRuntime | undefined;
  try {
    runtime = await startLocalRuntime({ demo: { onecBaseUrl: onecSandbox.baseUrl, goodwixBaseUrl: goodwixSandbox.baseUrl }, logLevel });
    await printServing(runtime, onecSandbox, goodwixSandbox);
    await stopped;
  } finally {
    await runtime?.close();
    await Promise.all([onecSandbox.close(), goodwixSandbox.close()]);
  }
}

async function printServing(
  runtime: LocalRuntime,
  onecSandbox: OneCSandbox,
  goodwixSandbox: GoodwixSandbox,
): Promise<void> {
  out(`1C sandbox, a stand-in for the supplier's 1C:UT 11 (OData):  ${onecSandbox.baseUrl}  (login ${onecSandbox.login} / ${onecSandbox.password})`);
  out(`Goodwix sandbox, a stand-in for the Goodwix portal:  ${goodwixSandbox.baseUrl}  (supplier ${goodwixSandbox.supplier.email} / ${goodwixSandbox.supplier.password}; buyer actions under /_sandbox/…)`);
  // The documented order: check, then the schedule may run the plan (the tick runs no unchecked plan).
  const check = await api(runtime, 'POST', `/plans/${DEMO_PLAN_ID}/check`);
  out(`Plan check of the demo plan: ${check.ok ? 'passed' : `${check.problems.length} problem(s): ${check.problems.map((p: { message: string }) => p.message).join('; ')}`}`);
  const plan = await api(runtime, 'GET', `/plans/${DEMO_PLAN_ID}`);
  const next = plan.scheduleState?.nextSlot as string | null;
  out(`Schedule of the demo plan: every ${plan.schedule.everyMinutes} minutes from now${next ? `, first at ${new Intl.DateTimeFormat('en-GB', { timeZone: plan.schedule.timeZone, hour: '2-digit', minute: '2-digit' }).format(new Date(next))} (${plan.schedule.timeZone})` : ''}; nothing runs before unless you start it.`);
  out(`Start a run now:  curl -H "Authorization: Bearer ${runtime.token}" -X POST ${runtime.apiUrl}/plans/${DEMO_PLAN_ID}/runs`);
  out(`CLI:  export GOODWIX_1C_URL=${runtime.apiUrl} GOODWIX_1C_TOKEN=${runtime.token}`);
  out(`      npx goodwix-1c --local runs start ${DEMO_PLAN_ID}; npx goodwix-1c --local orders list ${DEMO_PLAN_ID}`);
  out('Ctrl+C stops everything.');
}

async function real(planFile: string, secretsFile: string | undefined, keepServing: boolean): Promise<void> {
  const stopped = keepServing ? untilStopped() : undefined;
  const plan = JSON.parse(await readFile(planFile, 'utf8')) as { id: string; orders?: { exportFrom?: string } };
  // As PUT /plans does: no exportFrom means from now on, never the account's whole order history.
  if (plan.orders && plan.orders.exportFrom === undefined) plan.orders.exportFrom = new Date().toISOString();
  const secrets = secretsFile ? await LocalSecretsProvider.fromFile(secretsFile) : new LocalSecretsProvider();
  const runtime = await startLocalRuntime({ plans: [plan as never], secrets, tick: keepServing, logLevel });
  try {
    out(`Plan ${plan.id}: checking…`);
    const check = await api(runtime, 'POST', `/plans/${plan.id}/check`);
    for (const item of check.items ?? []) out(`  ${item.ok ? 'ok ' : 'ERR'} ${item.subject}: ${item.message}`);
    if (!check.ok) process.exitCode = 1;
    else printRun(out, await exchange(runtime, plan.id));
    if (stopped) await stopped;
  } finally {
    await runtime.close();
  }
}

try {
  if (args.plan) await real(args.plan, args.secrets, args.serve ?? false);
  else if (args.serve) await serve();
  else await demo();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
