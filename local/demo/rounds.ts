/**
 * The demo's three exchanges (`npm start`, local/main.ts), on a running local runtime and the two
 * sandboxes seeded with the demo supplier: round 1 exports the confirmed orders to 1C; round 2
 * brings a manager's work in 1C back to Goodwix, with a price conflict that 1C wins; round 3
 * shows what managers do in 1C alone reaching Goodwix: the shipped order closed, and a reserve a
 * manager made on a product no Goodwix order holds, shown as `Integration` (every run reconciles
 * the warehouse's reserves). Printed
 * through `out`; the runs and the conflict are answered for tests (the bundled-handlers test
 * runs the same rounds on the bundled functions).
 */
import type { GoodwixSandbox } from '#local/goodwix/sandbox';
import { OneCManager } from '#local/onec/manager';
import type { LocalRuntime } from '#local/runtime/runtime';
import { DEMO_PLAN_ID } from '#local/runtime/demo-plan';
import type { OneCTrade } from '#onec/trade';
import { stableKey } from '#sync/order-keys';
import { demoOneC, demoProducts } from './supplier.ts';

export type Print = (line?: string) => void;

export interface DemoRounds {
  /** The run journal of each round, three (GET /plans/demo/runs/<id>) */
  readonly runs: readonly Record<string, any>[];
  /** The sync record of the conflicted order (GET /plans/demo/orders/100001) */
  readonly conflictedOrder: Record<string, any>;
  /** Round 3: the manager's own 1C order and what Goodwix shows of it as `Integration` */
  readonly managersReserve: { readonly number: string; readonly goodwixProductId: number; readonly integration: string | null };
}

/** A control API call that must succeed; answers the body. */
export async function api(runtime: LocalRuntime, method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const answer = await runtime.api(method, path, body);
  if (answer.status >= 300 || !answer.body) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** "Выполнить обмен": starts a run through the control API and waits until its orders are done. */
export async function exchange(runtime: LocalRuntime, planId: string): Promise<Record<string, any>> {
  const started = await api(runtime, 'POST', `/plans/${planId}/runs`);
  await runtime.drain({ timeoutMs: 300_000 });
  return api(runtime, 'GET', `/plans/${planId}/runs/${started.runId}?limit=100`);
}

export function printRun(out: Print, run: Record<string, any>): void {
  const c = run.counters;
  out(`Run ${run.runId} (${run.trigger}): ${run.status}. ${run.summary ?? ''}`);
  out(`  exported to 1C: ${c.exported}, updated in 1C: ${c.updatedInOneC}, updated in Goodwix: ${c.updatedInGoodwix}, conflicts won by 1C: ${c.conflicts}, parked: ${c.failed}`);
  for (const e of run.errors ?? []) out(`  ! ${e.message}`);
  for (const o of run.orders?.items ?? []) if (o.error) out(`  ! order ${o.orderId}: ${o.error.message}`);
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const num = (s: string) => String(Number(s));

async function printOrders(out: Print, goodwix: GoodwixSandbox, onec: OneCTrade, orderIds: readonly number[]): Promise<void> {
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

/** What a manager does in 1C alone in round 3: said, then done; the orders it shows afterwards. */
export interface ManagerStep {
  readonly says: string;
  readonly act: () => Promise<unknown>;
  readonly orderIds: readonly number[];
}

/** The three rounds of the demo on the demo plan. */
export async function runDemoRounds(runtime: LocalRuntime, goodwixSandbox: GoodwixSandbox, onec: OneCTrade, out: Print): Promise<DemoRounds> {
  const runs: Record<string, any>[] = [];

  // Round 1: buyers ordered (the sandbox's demo activity); the supplier confirms one more by hand.
  const [autoConfirmed, byHand, waiting] = [100001, 100002, 100003];
  goodwixSandbox.actions.confirmOrder(byHand);
  out(`== Round 1: order ${autoConfirmed} was confirmed automatically by its price list, ${byHand} by the supplier; ${waiting} still waits`);
  runs.push(await exchange(runtime, DEMO_PLAN_ID));
  printRun(out, runs[0]!);
  out();
  await printOrders(out, goodwixSandbox, onec, [autoConfirmed, byHand, waiting]);
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
  runs.push(await exchange(runtime, DEMO_PLAN_ID));
  printRun(out, runs[1]!);
  out();
  await printOrders(out, goodwixSandbox, onec, [autoConfirmed, byHand]);
  const conflictedOrder = await api(runtime, 'GET', `/plans/${DEMO_PLAN_ID}/orders/${autoConfirmed}`);
  for (const c of conflictedOrder.conflicts ?? []) out(`  conflict on order ${autoConfirmed}, ${c.field}: Goodwix had ${c.goodwix}, 1C had ${c.onec} — 1C's value kept`);
  out();

  // Round 3: 1C is the system of record — what managers do there alone reaches Goodwix. A step
  // is one entry here (said, done, its orders shown after the run).
  const gloves = demoProducts.find((p) => p.sku === 'PRC-HB')!;
  const buyer = first!;
  let phoneOrder: string | null = null;
  const round3: ManagerStep[] = [
    { says: `closes the shipped order ${byHand} (Закрыт)`, act: () => manager.setStatus(second!.ref, 'Закрыт'), orderIds: [byHand] },
    {
      says: `takes an order by phone (40 × ${gloves.name}), reserved from stock; no Goodwix order holds the gloves`,
      act: async () => {
        const own = await onec.createOrder({
          clientNumber: 'ТЕЛЕФОН-17', partner: buyer.partner!, counterparty: buyer.counterparty, organization: buyer.organization,
          agreement: buyer.agreement, warehouse: demoOneC.warehouses.main.ref, manager: demoOneC.manager.ref, currency: buyer.currency,
          priceIncludesVat: true, vatTaxation: buyer.vatTaxation, settlement: buyer.settlement, status: 'КОбеспечению', comment: 'принят по телефону',
          items: [{ ...buyer.items.find((r) => !r.cancelled)!, lineCode: null, product: gloves.ref, characteristic: null, quantity: '40', packageQuantity: '40', price: gloves.price,
            amount: '1400.00', vatAmount: '233.33', amountWithVat: '1400.00', manualDiscountPercent: '0.00', manualDiscountAmount: '0.00', cancelled: false, cancelReason: null, provision: 'СоСклада' }],
        });
        phoneOrder = (await onec.postOrder(own.ref)).number;
      },
      orderIds: [],
    },
  ];
  for (const step of round3) await step.act();
  out(`== Round 3: in 1C the manager ${round3.map((s) => s.says).join('; ')}`);
  runs.push(await exchange(runtime, DEMO_PLAN_ID));
  printRun(out, runs[2]!);
  out();
  await printOrders(out, goodwixSandbox, onec, [...new Set(round3.flatMap((s) => s.orderIds))]);
  const shown = goodwixSandbox.actions.reserves(gloves.goodwixId).reserves.filter((r) => r.source === 'integration' && r.erp?.number === phoneOrder);
  out(`Goodwix, ${gloves.name}: ${shown.length ? shown.map((r) => `Integration ${num(r.quantity)} (1C № ${r.erp?.number})`).join(', ') : 'no Integration reserve'}`);
  return { runs, conflictedOrder, managersReserve: { number: phoneOrder ?? '', goodwixProductId: gloves.goodwixId, integration: shown[0]?.quantity ?? null } };
}
