/**
 * `npm start`: the exchange on this machine, no AWS account needed.
 *
 *   npm start                      the demo: two exchanges of the demo supplier, printed, then exit 0
 *   npm start -- --serve           keep the local deployment running: control API, both sandboxes, the tick
 *   npm start -- --plan plan.json --secrets secrets.json [--serve]
 *                                  point the local runtime at a real Goodwix account and a real 1C base
 *
 * The embedded default starts DynamoDB Local, the SQS emulator, the Goodwix and 1C sandboxes
 * seeded with the demo supplier, and the same handlers AWS would run.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { demoOneC, demoProducts } from './demo/supplier.ts';
import { startGoodwixSandbox, type GoodwixSandbox } from './goodwix/sandbox.ts';
import { OneCManager } from './onec/manager.ts';
import { startOneCSandbox } from './onec/sandbox.ts';
import { DEMO_PLAN_ID } from './runtime/demo-plan.ts';
import { startLocalRuntime, type LocalRuntime } from './runtime/runtime.ts';
import { OneCTrade } from '#onec/trade';
import { LocalSecretsProvider } from '#secrets/secrets';
import { stableKey } from '#sync/order-sync';

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

async function api(runtime: LocalRuntime, method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const answer = await runtime.api(method, path, body);
  if (answer.status >= 300 || !answer.body) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** "Выполнить обмен": starts a run through the control API and waits until its orders are done. */
async function exchange(runtime: LocalRuntime, planId: string): Promise<Record<string, any>> {
  const started = await api(runtime, 'POST', `/plans/${planId}/runs`);
  await runtime.drain({ timeoutMs: 300_000 });
  return api(runtime, 'GET', `/plans/${planId}/runs/${started.runId}?limit=100`);
}

function printRun(run: Record<string, any>): void {
  const c = run.counters;
  out(`Run ${run.runId} (${run.trigger}): ${run.status}. ${run.summary ?? ''}`);
  out(`  exported to 1C: ${c.exported}, updated in 1C: ${c.updatedInOneC}, updated in Goodwix: ${c.updatedInGoodwix}, conflicts won by 1C: ${c.conflicts}, parked: ${c.failed}`);
  for (const e of run.errors ?? []) out(`  ! ${e.message}`);
  for (const o of run.orders?.items ?? []) if (o.error) out(`  ! order ${o.orderId}: ${o.error.message}`);
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const num = (s: string) => String(Number(s));

async function printOrders(goodwix: GoodwixSandbox, onec: OneCTrade, orderIds: readonly number[]): Promise<void> {
  for (const id of orderIds) {
    const view = goodwix.actions.supplierView(id);
    const [doc] = await onec.findOrdersByClientNumber(stableKey(String(id)));
    const inOneC = doc ? `1C № ${doc.number}, ${doc.status}${doc.posted ? ', проведён' : ''}` : 'not in 1C';
    out(`Goodwix order ${view.number} — ${view.statusLabel} (${view.status}) — ${inOneC}`);
    out(`    ${pad('product', 44)} ${pad('ordered', 8)} ${pad('Отменено', 22)} ${pad('shipped', 8)} ${pad('price', 9)} ${pad('amount', 10)} reserved`);
    for (const line of view.lines) {
      const cancelled = Number(line.cancelled) > 0 ? `${num(line.cancelled)}${line.cancelReason ? ` (${line.cancelReason})` : ''}` : '';
      out(
        `    ${pad(line.product.slice(0, 44), 44)} ${pad(num(line.ordered), 8)} ${pad(cancelled, 22)} ${pad(num(line.shipped), 8)} ${pad(line.price, 9)} ${pad(line.amount, 10)} ${num(line.reservedForOrder)} of ${num(line.reserved)}`,
      );
    }
  }
}

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

    // Round 1: buyers ordered (the sandbox's demo activity); the supplier confirms one more by hand.
    const [autoConfirmed, byHand, waiting] = [100001, 100002, 100003];
    goodwixSandbox.actions.confirmOrder(byHand);
    out(`== Round 1: order ${autoConfirmed} was confirmed automatically by its price list, ${byHand} by the supplier; ${waiting} still waits`);
    printRun(await exchange(runtime, DEMO_PLAN_ID));
    out();
    await printOrders(goodwixSandbox, onec, [autoConfirmed, byHand, waiting]);
    out();

    // Round 2: a manager works in 1C; meanwhile someone edits the same price in Goodwix.
    const manager = new OneCManager(onec);
    const [first] = await onec.findOrdersByClientNumber(stableKey(String(autoConfirmed)));
    const [second] = await onec.findOrdersByClientNumber(stableKey(String(byHand)));
    const drill = demoProducts[0]!;
    const screws = demoProducts[2]!;
    const drillRow = first!.items.find((r) => r.product === drill.ref)!;
    const screwRow = first!.items.find((r) => r.product === screws.ref)!;
    await manager.rejectRow(first!.ref, screwRow.lineCode, demoOneC.cancelReasons.outOfStock.ref);
    await manager.setPrice(first!.ref, drillRow.lineCode, 5290, 5);
    const drillLine = goodwixSandbox.actions.order(autoConfirmed).lines.find((l) => l.productId === drill.goodwixId)!;
    goodwixSandbox.actions.editLine(autoConfirmed, drillLine.id, { price: '5390.00' });
    await manager.ship(second!.ref);
    out('== Round 2: in 1C the manager rejects the screws (Нет в наличии), sets the drill to 5290 with 5 % off, ships order 100002;');
    out('   in Goodwix the drill\'s price was changed to 5390 at the same time — a conflict 1C must win');
    printRun(await exchange(runtime, DEMO_PLAN_ID));
    out();
    await printOrders(goodwixSandbox, onec, [autoConfirmed, byHand]);
    const record = await api(runtime, 'GET', `/plans/${DEMO_PLAN_ID}/orders/${autoConfirmed}`);
    for (const c of record.conflicts ?? []) out(`  conflict on order ${autoConfirmed}, ${c.field}: Goodwix had ${c.goodwix}, 1C had ${c.onec} — 1C's value kept`);
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
    else printRun(await exchange(runtime, plan.id));
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
