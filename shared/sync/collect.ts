/**
 * The collection of a run: which orders need the exchange, one queue message each.
 *
 * - Goodwix: orders changed since the plan's cursor (confirmed ones and later; the feed does
 *   not list orders still waiting for the supplier), paged, bounded in memory.
 * - 1C: the plan's open bindings — `DataVersion` of the orders and the versions of their
 *   shipments (a shipment does not move the order's version) — against what the binding
 *   recorded; only orders that moved are queued. Read set-wise (the exchange's orders not closed
 *   in 1C as one paged list, the shipments since the oldest of them as another), whatever the
 *   number of open orders; the bindings that list leaves out are probed by key in batches.
 * - Parked orders and orders that never reached 1C: every run tries them again.
 *
 * Each order is registered on the run before its message is sent, so the run knows how many
 * to wait for and a retried collector never queues an order twice. The cursor is not moved
 * here: it moves when the run closes, past orders that all reached their target or are parked.
 */
import { checkPlan } from '#runs/check-plan';
import { recordRunCheck, type CollectBody, type CollectContext, type CollectOutcome } from '#runs/collector';
import type { CursorRepository } from '#store/cursors';
import type { BindingRepository, OpenBinding } from '#store/bindings';
import { GOODWIX_CURSOR, finalizeIfDone, type FinalizePorts } from './finalize.ts';
import type { OrderQueue, QueuedOrder } from '#aws/order-queue';
import type { OneCOrderVersion, OneCShipmentVersion } from '#onec/trade';
import { shipmentsFingerprint, stableKey } from './order-sync.ts';
import type { RunProgressRepository } from '#store/run-progress';

export interface OrderCollectPorts extends FinalizePorts {
  readonly bindings: BindingRepository;
  readonly progress: RunProgressRepository;
  readonly cursors: CursorRepository;
  readonly orderQueue: OrderQueue;
  /** Open bindings probed per batch (1C requests stay short and few) */
  readonly probeBatch?: number;
  /** Where the plan's parked orders are reported each run: how many, the oldest's age (the alarms' gauges) */
  readonly stuckMetrics?: (planId: string, parked: number, oldestAgeSeconds: number) => void;
}

/**
 * Registers and sends orders in batches of the queue's size. An order registered by an earlier
 * attempt of this collection is sent again: that attempt may have died before sending it, and
 * the queue's deduplication (or the run's done-once bookkeeping) absorbs a second copy.
 */
class Enqueuer {
  private pending: QueuedOrder[] = [];
  private readonly seen = new Set<string>();
  queued = 0;

  constructor(
    private readonly ports: OrderCollectPorts,
    private readonly ctx: CollectContext,
  ) {}

  async add(orderId: string, versions: string, force = false): Promise<void> {
    const { plan, run } = this.ctx;
    if (this.seen.has(orderId)) return;
    this.seen.add(orderId);
    await this.ports.progress.register(plan.id, run.runId, orderId, this.ports.run.now?.() ?? new Date());
    this.pending.push({ message: { kind: 'order', planId: plan.id, runId: run.runId, orderId, ...(force ? { force } : {}) }, versions });
    this.queued += 1;
    if (this.pending.length >= 10) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length) await this.ports.orderQueue.send(batch);
  }
}

export function orderCollector(ports: OrderCollectPorts): CollectBody {
  // The base's $metadata (17 MB, 23 s on a real UT) is checked once per plan version per container.
  const metadataChecked = new Set<string>();
  return async (ctx: CollectContext): Promise<CollectOutcome> => {
    const { plan, run, message } = ctx;

    // First the plan check: a reference deleted in 1C would otherwise be written as a broken link.
    const planKey = JSON.stringify(plan);
    const check = await checkPlan(ctx.ports, plan, { fieldMapping: !metadataChecked.has(planKey) });
    await recordRunCheck(ctx, check);
    if (!check.ok) return { status: 'done', problems: check.problems, summary: `plan check found ${check.problems.length} problem(s); no orders exchanged` };
    metadataChecked.add(planKey);

    const out = new Enqueuer(ports, ctx);
    let pendingCursor: string | null = null;

    if (message.trigger === 'resync' && message.orderId) {
      await out.add(message.orderId, 'resync', true);
    } else {
      const clients = await ports.clients.get(plan);
      // 1. What changed in Goodwix since the last run.
      const cursor = await ports.cursors.get(plan.id, GOODWIX_CURSOR);
      const feed = clients.goodwix.orders(cursor ? { cursor: cursor.value } : {});
      let pages = 0;
      for await (const page of feed.pages()) {
        // Echo suppression: an order whose version is the one the exchange itself left is not news.
        const known = await ports.bindings.goodwixVersions(plan.id, page.orders.map((o) => String(o.id)));
        for (const order of page.orders) {
          const binding = known.get(String(order.id));
          if (binding && binding.goodwixVersion === order.version && !binding.parked) continue;
          await out.add(String(order.id), `g${order.version}`);
        }
        if (++pages % 20 === 0) await ctx.renewLock();
      }
      pendingCursor = feed.cursor ?? null;

      // 2. What moved in 1C among the orders still open, and what waits for another try.
      // Set-wise first: the exchange's orders not closed in 1C as pages of one filtered list, and
      // the posted shipments dated since the oldest of them, read once for all open bindings; the
      // few open bindings that list leaves out (closed or deleted in 1C, key edited, no date) are
      // probed by key, as before. Both ways give the same versions and shipment fingerprints.
      const batchSize = ports.probeBatch ?? 200;
      let batch: OpenBinding[] = [];
      type OpenInOneC = { versions: Map<string, OneCOrderVersion & { readonly date: string | null }>; shipments: Map<string, OneCShipmentVersion[]> };
      let setWise: Promise<OpenInOneC> | undefined;
      const openInOneC = () => (setWise ??= (async () => {
        const versions = await clients.onec.readOpenOrderVersions(stableKey(''));
        let since: string | null = null;
        for (const v of versions.values()) if (v.date && (since === null || v.date < since)) since = v.date;
        const shipments = since ? await clients.onec.probeShipmentsSince(since, [...versions.values()].filter((v) => v.date).map((v) => v.ref)) : new Map<string, OneCShipmentVersion[]>();
        return { versions, shipments };
      })());
      const probe = async () => {
        const bound = batch.filter((b) => b.onecRef);
        const open = bound.length ? await openInOneC() : { versions: new Map<string, OneCOrderVersion & { readonly date: string | null }>(), shipments: new Map<string, OneCShipmentVersion[]>() };
        const listed = (ref: string) => Boolean(open.versions.get(ref)?.date);
        const refs = bound.map((b) => b.onecRef!).filter((ref) => !listed(ref));
        // The two probes are independent reads: side by side when the plan lets 1C take two requests.
        const readVersions = () => (refs.length ? clients.onec.readDataVersions(refs) : Promise.resolve(new Map<string, OneCOrderVersion>()));
        const readShipments = () => (refs.length ? clients.onec.probeShipments(refs) : Promise.resolve(new Map<string, OneCShipmentVersion[]>()));
        const [byKey, shipmentsByKey] =
          plan.onec.maxConcurrency > 1 ? await Promise.all([readVersions(), readShipments()]) : [await readVersions(), await readShipments()];
        for (const b of batch) {
          if (!b.onecRef || b.parked) {
            await out.add(b.orderId, `retry:${b.onecDataVersion ?? ''}`);
            continue;
          }
          const ref = b.onecRef;
          const v = listed(ref) ? open.versions.get(ref) : byKey.get(ref);
          const fingerprint = shipmentsFingerprint((listed(ref) ? open.shipments.get(ref) : shipmentsByKey.get(ref)) ?? []);
          if (!v || v.dataVersion !== b.onecDataVersion || fingerprint !== b.onecShipments) {
            await out.add(b.orderId, `c${v?.dataVersion ?? 'gone'}:${fingerprint}`);
          }
        }
        batch = [];
        await ctx.renewLock();
      };
      for await (const binding of ports.bindings.allOpen(plan.id)) {
        batch.push(binding);
        if (batch.length >= batchSize) await probe();
      }
      if (batch.length) await probe();
    }

    await out.flush();
    if (ports.stuckMetrics) {
      // One item and a count from the sparse index: what the alarms on parked orders read.
      const { parked, oldestSince } = await ports.bindings.parkedSummary(plan.id);
      const now = ports.run.now?.() ?? new Date();
      ports.stuckMetrics(plan.id, parked, oldestSince ? Math.max(0, (now.getTime() - Date.parse(oldestSince)) / 1000) : 0);
    }
    await ports.progress.markCollected(plan.id, run.runId, pendingCursor);
    // Nothing queued, or every queued order already done while we were still collecting. The
    // collection may have used most of the collector's time: reserves, if any, go on in a
    // finalize message for the worker (none left here), and a run without products closes now.
    await finalizeIfDone(ports, plan.id, run.runId, 'collector', { deadline: { remainingMs: () => 0 } });
    return { status: 'continuing' };
  };
}
