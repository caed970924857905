/**
 * Property tests of the exchange itself (not only the pure merge, see
 * test/core/merge.property.test.ts): random orders, random interleavings of Goodwix edits
 * (supplier's prices and quantities, buyer's cancellations), 1C edits (a manager's prices,
 * quantities, rejected rows, removed and added rows, "К отгрузке", shipments) and exchanges, against both
 * sandboxes and DynamoDB Local. After every exchange:
 *
 * * both sides agree (test/chaos/compare.ts: lines, amounts, cancellations, status as derived);
 * * every field 1C changed since the last exchange holds 1C's value, every field only Goodwix
 *   changed holds Goodwix's — except where the merged line would cancel more than it orders,
 *   where 1C's quantities stand (docs/sync.md);
 * * the Goodwix status never moves backwards;
 * * replaying the message (`syncOrder` again with the same request) changes nothing.
 *
 * Small `numRuns`: each run exports an order and exchanges it a few times over HTTP.
 * A failure prints fast-check's seed and path; replay it with `PROPERTY_SEED=<seed>
 * PROPERTY_PATH=<path>`, explore with `PROPERTY_RUNS=300`.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { money } from '#core/decimal';
import type { OrderStatus } from '#core/canonical';
import { demoOneC, demoProducts } from '#local/demo/supplier';
import { ApiProblem } from '#local/goodwix/problem';
import { OneCManager } from '#local/onec/manager';
import { syncOrder } from '#sync/order-sync';
import { useExchange, type World } from '#test/exchange';
import { compareOrder, type OneCCatalogs } from '../chaos/compare.ts';

/**
 * How far an order has gone, for the check that its status does not move back where the
 * generated edits never move 1C back (1C may: #core/status; a manager's moves back are tested
 * in test/sync/statuses.test.ts).
 */
const STATUS_RANK: Readonly<Record<string, number>> = { confirmed: 1, in_progress: 2, ready_to_ship: 3, partially_shipped: 4, shipped: 9, closed: 9, rejected: 9, cancelled: 9 };
const statusRank = (status: string): number => STATUS_RANK[status] ?? 0;

const exchange = useExchange();
const PRODUCTS = ['PRC-HB', 'SMR-3535', 'DBL-0640', 'LNT-4850', 'BRS-TB'].map((sku) => demoProducts.find((p) => p.sku === sku)!);
const vatRef = (rate: number) => (rate === 20 ? demoOneC.vatRates.vat20.ref : rate === 10 ? demoOneC.vatRates.vat10.ref : demoOneC.vatRates.none.ref);
const REASONS = [demoOneC.cancelReasons.outOfStock.ref, demoOneC.cancelReasons.buyerRefused.ref];

type Step =
  | { readonly side: 'goodwix'; readonly line: number; readonly op: 'price'; readonly factor: number }
  | { readonly side: 'goodwix'; readonly line: number; readonly op: 'quantity'; readonly quantity: number }
  | { readonly side: 'goodwix'; readonly line: number; readonly op: 'cancel'; readonly cancel: number }
  | { readonly side: '1c'; readonly line: number; readonly op: 'price'; readonly factor: number }
  | { readonly side: '1c'; readonly line: number; readonly op: 'quantity'; readonly quantity: number }
  | { readonly side: '1c'; readonly line: number; readonly op: 'reject'; readonly reason: number }
  | { readonly side: '1c'; readonly line: number; readonly op: 'rejectPart'; readonly cancel: number; readonly reason: number }
  | { readonly side: '1c'; readonly line: number; readonly op: 'remove' }
  | { readonly side: '1c'; readonly op: 'add'; readonly product: number; readonly quantity: number }
  | { readonly side: '1c'; readonly op: 'status' }
  | { readonly side: '1c'; readonly line: number; readonly op: 'ship' }
  | { readonly side: 'both'; readonly op: 'sync' };

const line = fc.integer({ min: 0, max: 3 });
const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ side: fc.constant('goodwix' as const), line, op: fc.constant('price' as const), factor: fc.constantFrom(0.8, 0.9, 1.1) }) },
  { weight: 2, arbitrary: fc.record({ side: fc.constant('goodwix' as const), line, op: fc.constant('quantity' as const), quantity: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ side: fc.constant('goodwix' as const), line, op: fc.constant('cancel' as const), cancel: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ side: fc.constant('1c' as const), line, op: fc.constant('price' as const), factor: fc.constantFrom(0.85, 0.95, 1.2) }) },
  { weight: 2, arbitrary: fc.record({ side: fc.constant('1c' as const), line, op: fc.constant('quantity' as const), quantity: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ side: fc.constant('1c' as const), line, op: fc.constant('reject' as const), reason: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ side: fc.constant('1c' as const), line, op: fc.constant('rejectPart' as const), cancel: fc.integer({ min: 1, max: 3 }), reason: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ side: fc.constant('1c' as const), line, op: fc.constant('remove' as const) }) },
  { weight: 1, arbitrary: fc.record({ side: fc.constant('1c' as const), op: fc.constant('add' as const), product: fc.integer({ min: 0, max: PRODUCTS.length - 1 }), quantity: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ side: fc.constant('1c' as const), op: fc.constant('status' as const) }) },
  { weight: 1, arbitrary: fc.record({ side: fc.constant('1c' as const), line, op: fc.constant('ship' as const) }) },
  { weight: 3, arbitrary: fc.constant<Step>({ side: 'both', op: 'sync' }) },
);

const arbCase = fc.record({
  lines: fc.uniqueArray(fc.record({ product: fc.integer({ min: 0, max: PRODUCTS.length - 1 }), quantity: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 3, selector: (l) => l.product }),
  steps: fc.array(arbStep, { minLength: 1, maxLength: 8 }),
});

/** One line as people see it; what the test expects, side by side. */
interface Fields {
  quantity: number;
  cancelled: number;
  price: string;
}
interface Tracked {
  readonly product: string;
  readonly sku: string;
  base: Fields;
  goodwix: Fields;
  onec: Fields;
  /** Shipped by a posted РеализацияТоваровУслуг (only 1C ships) */
  shipped: number;
  removedIn1C: boolean;
  gone: boolean;
}

function merged(t: Tracked): Fields {
  const pick = <K extends keyof Fields>(k: K): Fields[K] => (t.onec[k] !== t.base[k] ? t.onec[k] : t.goodwix[k] !== t.base[k] ? t.goodwix[k] : t.base[k]);
  const out = { quantity: pick('quantity'), cancelled: pick('cancelled'), price: pick('price') };
  // Never more cancelled than ordered, never shipped goods cancelled: then 1C's quantities stand.
  if (out.quantity - out.cancelled < t.shipped) return { ...out, quantity: t.onec.quantity, cancelled: t.onec.cancelled };
  return out;
}

describe('the exchange under random interleavings of Goodwix and 1C edits', () => {
  let w: World;
  let catalogs: OneCCatalogs;
  before(async () => {
    w = await exchange.world();
    const vatRates = new Map<string, string>();
    for await (const v of w.onec.listCatalog('vatRates')) vatRates.set(v.ref, v.rate);
    const cancelReasons = new Map<string, string>();
    for await (const r of w.onec.listCatalog('cancelReasons')) cancelReasons.set(r.ref, r.description);
    catalogs = { vatRates, cancelReasons };
  });

  test('1C wins what it changed, Goodwix keeps what only it changed, statuses only move forward, a replay changes nothing', async (context) => {
    // What the runs really did (steps that did not apply to the order's state are skipped).
    const executed: Record<string, number> = {};
    const ran = (step: Step) => {
      const key = `${step.side} ${step.op}`;
      executed[key] = (executed[key] ?? 0) + 1;
    };
    await fc.assert(
      fc.asyncProperty(arbCase, async ({ lines, steps }) => {
        const placed = w.goodwixSandbox.actions.placeOrder({ buyerId: 3001, lines: lines.map((l) => ({ productId: PRODUCTS[l.product]!.goodwixId, quantity: l.quantity })) });
        const first = await syncOrder(w.ports(), w.request(placed.id));
        assert.equal(first.outcome, 'exported', JSON.stringify(first));
        const ref = w.goodwixSandbox.actions.order(placed.id).erp.orderId!;
        const manager = new OneCManager(w.onec);
        const tracked: Tracked[] = lines.map((l) => {
          const p = PRODUCTS[l.product]!;
          const f = { quantity: l.quantity, cancelled: 0, price: p.price };
          return { product: p.ref, sku: p.sku, base: { ...f }, goodwix: { ...f }, onec: { ...f }, shipped: 0, removedIn1C: false, gone: false };
        });
        let readyToShip = false;
        let lastStatus: OrderStatus = w.goodwixSandbox.actions.order(placed.id).status as OrderStatus;
        const live = () => tracked.filter((t) => !t.gone && !t.removedIn1C);

        const exchangeAndCheck = async (label: string) => {
          const result = await syncOrder(w.ports(), w.request(placed.id));
          assert.notEqual(result.outcome, 'parked', `${label}: parked: ${result.message}`);
          for (const t of tracked) {
            if (t.removedIn1C) {
              t.gone = true;
              continue;
            }
            if (t.gone) continue;
            const m = merged(t);
            t.base = { ...m };
            t.goodwix = { ...m };
            t.onec = { ...m };
          }
          const gw = w.goodwixSandbox.actions.order(placed.id);
          const doc = await w.onec.readOrder(ref);
          const shipments = await w.onec.listShipmentsForOrders([ref]);
          assert.deepEqual(compareOrder(gw, doc, shipments, catalogs), [], `${label}: Goodwix and 1C disagree`);
          for (const t of tracked) {
            const found = gw.lines.filter((l) => l.product.erp.nomenclatureId === t.product);
            if (t.gone) {
              assert.equal(found.length, 0, `${label}: ${t.sku} was removed in 1C`);
              continue;
            }
            assert.equal(found.length, 1, `${label}: ${t.sku} should be one Goodwix line`);
            const g = found[0]!;
            assert.deepEqual(
              { quantity: Number(g.quantity), cancelled: Number(g.cancelledQuantity), price: g.price, shipped: Number(g.shippedQuantity) },
              { ...t.base, shipped: t.shipped },
              `${label}: ${t.sku} holds what the merge rule says`,
            );
          }
          const allCancelled = live().every((t) => t.base.cancelled >= t.base.quantity);
          const anyShipped = live().some((t) => t.shipped > 0);
          const allShipped = live().every((t) => t.shipped >= t.base.quantity - t.base.cancelled);
          const expected = allCancelled ? 'rejected' : anyShipped ? (allShipped ? 'shipped' : 'partially_shipped') : readyToShip ? 'ready_to_ship' : 'in_progress';
          assert.equal(gw.status, expected, `${label}: status`);
          assert.ok(statusRank(gw.status as OrderStatus) >= statusRank(lastStatus), `${label}: status went back from ${lastStatus} to ${gw.status}`);
          lastStatus = gw.status as OrderStatus;

          const versions = { goodwix: gw.version, onec: doc.dataVersion };
          const replay = await syncOrder(w.ports(), w.request(placed.id));
          assert.equal(replay.outcome, 'unchanged', `${label}: the replayed message changed something`);
          assert.deepEqual({ goodwix: w.goodwixSandbox.actions.order(placed.id).version, onec: (await w.onec.readOrder(ref)).dataVersion }, versions, `${label}: a replay wrote`);
        };

        let n = 0;
        try {
          for (const step of [...steps, { side: 'both', op: 'sync' } as const]) {
            n += 1;
            const label = `step ${n} ${JSON.stringify(step)}`;
            const ended = lastStatus === 'rejected' || lastStatus === 'shipped' || live().every((t) => t.goodwix.cancelled >= t.goodwix.quantity && t.onec.cancelled >= t.onec.quantity);
            if (step.op === 'sync') {
              await exchangeAndCheck(label);
              ran(step);
              continue;
            }
            if (ended) continue;
            if (step.side === '1c' && step.op === 'add') {
              const p = PRODUCTS[step.product]!;
              if (tracked.some((t) => t.product === p.ref)) continue;
              await manager.addRow(ref, { product: p.ref, quantity: step.quantity, price: p.price, vatRate: vatRef(p.vatRate) });
              ran(step);
              const f = { quantity: step.quantity, cancelled: 0, price: p.price };
              // New on one side: it has no base; after the exchange it is simply there.
              tracked.push({ product: p.ref, sku: p.sku, base: { ...f }, goodwix: { ...f }, onec: { ...f }, shipped: 0, removedIn1C: false, gone: false });
              continue;
            }
            if (step.side === '1c' && step.op === 'status') {
              if (readyToShip) continue;
              await manager.setStatus(ref, 'КОтгрузке');
              ran(step);
              readyToShip = true;
              continue;
            }
            const t = live()[step.line % Math.max(1, live().length)];
            if (!t) continue;
            if (step.side === 'goodwix') {
              const gl = w.goodwixSandbox.actions.order(placed.id).lines.find((l) => l.product.erp.nomenclatureId === t.product);
              if (!gl) continue;
              const goodwixShipped = Number(gl.shippedQuantity);
              try {
                if (step.op === 'price') {
                  const price = money(Math.round(Number(t.goodwix.price) * step.factor * 100) / 100);
                  w.goodwixSandbox.actions.editLine(placed.id, gl.id, { price });
                  ran(step);
                  t.goodwix.price = price;
                } else if (step.op === 'quantity') {
                  if (step.quantity < t.goodwix.cancelled + goodwixShipped) continue;
                  w.goodwixSandbox.actions.editLine(placed.id, gl.id, { quantity: step.quantity });
                  ran(step);
                  t.goodwix.quantity = step.quantity;
                } else {
                  const open = t.goodwix.quantity - t.goodwix.cancelled - goodwixShipped;
                  if (open <= 0) continue;
                  const k = Math.min(step.cancel, open);
                  w.goodwixSandbox.actions.cancelLine(placed.id, gl.id, { quantity: k });
                  ran(step);
                  t.goodwix.cancelled += k;
                }
              } catch (error) {
                // Goodwix refuses edits of a closed order, as its UI would: nothing happened.
                if (error instanceof ApiProblem && error.status === 409) continue;
                throw error;
              }
              continue;
            }
            // 1C: the manager edits single-row lines (a split line's rows would need a decision per row).
            const doc = await w.onec.readOrder(ref);
            const rows = doc.items.filter((r) => r.product === t.product);
            if (rows.length !== 1 || rows[0]!.cancelled || t.shipped > 0) continue;
            const code = rows[0]!.lineCode;
            if (step.op === 'price') {
              const price = money(Math.round(Number(t.onec.price) * step.factor * 100) / 100);
              await manager.setPrice(ref, code, price);
              ran(step);
              t.onec.price = price;
            } else if (step.op === 'quantity') {
              await manager.setQuantity(ref, code, step.quantity);
              ran(step);
              t.onec.quantity = step.quantity;
            } else if (step.op === 'reject') {
              await manager.rejectRow(ref, code, REASONS[step.reason]!);
              ran(step);
              t.onec.cancelled = t.onec.quantity;
            } else if (step.op === 'rejectPart') {
              if (step.cancel >= t.onec.quantity) continue;
              await manager.rejectPartOfRow(ref, code, step.cancel, REASONS[step.reason]!);
              ran(step);
              t.onec.cancelled = step.cancel;
            } else if (step.op === 'remove') {
              if (live().length < 2) continue;
              await manager.removeRow(ref, code);
              ran(step);
              t.removedIn1C = true;
            } else if (step.op === 'ship') {
              if (!doc.posted) continue;
              await manager.ship(ref, { [code]: Number(rows[0]!.quantity) });
              ran(step);
              t.shipped = t.onec.quantity;
            }
          }
        } finally {
          // Give the stock back: hundreds of runs share the sandbox's warehouse.
          await manager.cancelOrder(ref, REASONS[0]!).catch(() => undefined);
        }
      }),
      {
        numRuns: Number(process.env.PROPERTY_RUNS ?? 15),
        endOnFailure: true,
        includeErrorInReport: true,
        ...(process.env.PROPERTY_SEED ? { seed: Number(process.env.PROPERTY_SEED), path: process.env.PROPERTY_PATH } : {}),
      },
    );
    context.diagnostic(`steps run: ${Object.entries(executed).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  });
});
