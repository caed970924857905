// Stage 3 of 6, collect: takes a run's collect message (from start run), hands one order message per order that moved to sync one order, and the run to finalize when nothing was queued.
/**
 * The collector: what happens to a run's "collect" message. `processRunMessage` owns the
 * run's life around the work (the run still running? the lock still ours? the plan still
 * there?); the work itself is the ports' `collect`, which the collector's wiring fills with
 * `orderCollector` below: the plan check, then one message per order that moved (the tests of
 * the run's mechanics give a body that finishes at once).
 *
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
 *
 * A feed item whose id is no Goodwix order id (0, negative: Goodwix's ids run from 1) is never
 * registered or queued. The worker refuses a message with a negative id, so it would end in
 * the DLQ with the run waiting for it until its lease ran out, and the cursor, never moved,
 * would hand it to every later run; an id of 0 would be parked on Goodwix's refusal. It is a
 * run problem naming it (`GOODWIX_FEED_ITEM_INVALID`) and counted as failed (the run ends
 * `attention`); the rest of its page goes on, and the cursor moves past it with the page: no
 * later run could exchange it either, and the problem is where a person learns of it.
 */
import { AppError, isRetryable } from '#platform/errors';
import type { Plan } from '#plans/plan';
import { LockLostError } from '#store/errors';
import type { RunCounters, RunProblem, RunRecord } from '#store/runs';
import { checkPlan, type CheckPorts, type PlanCheckResult } from '#runs/check-plan';
import { clock } from '#platform/clock';
import { log } from '#platform/logger';
import type { RunPorts } from '#runs/ports';
import type { CollectMessage } from '#aws/run-queue';
import type { CursorRepository } from '#store/cursors';
import type { BindingRepository, OpenBinding } from '#store/bindings';
import { GOODWIX_CURSOR, finalizeIfDone, finishRun, type FinalizePorts } from './finalize.ts';
import type { OrderQueue, QueuedOrder } from '#aws/order-queue';
import type { OneCOrderVersion, OneCShipmentVersion } from '#onec/trade';
import { shipmentsFingerprint, stableKey } from '#sync/order-keys';
import { GOODWIX_ORDER_ID, type GoodwixOrder } from '#goodwix/model';
import { cutText } from '#platform/limits';

export interface CollectContext {
  readonly ports: CollectorPorts;
  readonly plan: Plan;
  /** The stored plan's version (what a recorded check names) */
  readonly planVersion: number;
  readonly run: RunRecord;
  readonly message: CollectMessage;
  /** Extends the run's lock; throws LockLostError when the run lost it. Call between long steps. */
  readonly renewLock: () => Promise<void>;
}

export type CollectOutcome =
  /** The work is over: close the run now with these counters and problems */
  | { readonly status: 'done'; readonly problems: readonly RunProblem[]; readonly counters?: Partial<RunCounters>; readonly summary?: string }
  /** The work goes on elsewhere (per-order messages); the run closes in `finalizeIfDone` once its last order is done */
  | { readonly status: 'continuing' };

export type CollectBody = (ctx: CollectContext) => Promise<CollectOutcome>;

export interface CollectorPorts extends RunPorts, CheckPorts {
  /** The work of a run: the order collection (`orderCollector`) */
  readonly collect: CollectBody;
}

/**
 * Keeps a run's plan check on the plan, as the API's check does: a manual run whose check
 * passed lets the tick run the plan (the documented first run: check, manual run, enable), and
 * a check that timed out at API Gateway can be done by a run instead.
 */
async function recordRunCheck(ctx: CollectContext, result: PlanCheckResult): Promise<void> {
  await ctx.ports.plans.recordCheck(ctx.plan.id, { checkedAt: result.checkedAt, ok: result.ok, version: ctx.planVersion, problems: result.problems });
}

export type ProcessOutcome = 'finished' | 'continuing' | 'ignored';

/** Which delivery of its message this is; on the last one a failure for now is final. */
export interface RunDelivery {
  readonly receiveCount: number;
  readonly maxReceiveCount: number;
}

/**
 * Handles one collect message. Throws (so the queue redelivers) only for retryable failures,
 * and not on the message's last delivery: then, as for anything permanent, the run is closed
 * `failed` with the reason and its plan freed (the cursor has not moved: the next run collects
 * the same orders), rather than the message going to the DLQ with the run left open.
 */
export async function processRunMessage(ports: CollectorPorts, message: CollectMessage, delivery?: RunDelivery): Promise<ProcessOutcome> {
  const { planId, runId } = message;
  const run = await ports.runs.get(planId, runId);
  if (!run) {
    log(ports).warn('collect message for an unknown run: ignored', { planId, runId });
    return 'ignored';
  }
  if (run.status !== 'running') {
    log(ports).info('collect message for a closed run: ignored', { planId, runId, status: run.status });
    // Closed by an invocation that died before releasing the lock: let it go (only if still this run's).
    await ports.locks.release(planId, runId).catch(() => false);
    return 'ignored';
  }
  const renewLock = async () => {
    await ports.locks.renew(planId, runId, { ttlMs: ports.lockTtlMs, now: clock(ports) });
  };
  try {
    await renewLock();
  } catch (error) {
    if (error instanceof LockLostError) {
      await finishRun(ports, {
        planId,
        runId,
        status: 'failed',
        problems: [{ code: error.code, subject: 'run', message: 'run: lost the plan lock before collecting (it expired and was taken over)' }],
      });
      return 'finished';
    }
    throw error;
  }
  const stored = await ports.plans.get(planId);
  if (!stored) {
    await finishRun(ports, { planId, runId, status: 'failed', problems: [{ code: 'PLAN_NOT_FOUND', subject: 'plan', message: `plan: ${planId} no longer exists` }] });
    return 'finished';
  }

  let outcome: CollectOutcome;
  try {
    outcome = await ports.collect({ ports, plan: stored.plan, planVersion: stored.version, run, message, renewLock });
  } catch (error) {
    const last = delivery !== undefined && delivery.receiveCount >= delivery.maxReceiveCount;
    if (isRetryable(error) && !(error instanceof LockLostError) && !last) {
      log(ports).warn('collect failed, will be retried', { planId, runId, error });
      throw error;
    }
    const code = error instanceof AppError ? error.code : 'COLLECT_FAILED';
    const reason = isRetryable(error) && last ? ` (still failing after ${delivery.receiveCount} deliveries; the next run collects these orders again)` : '';
    await finishRun(ports, { planId, runId, status: 'failed', problems: [{ code, subject: 'run', message: cutText(`run: ${(error as Error).message}${reason}`) }] });
    return 'finished';
  }
  if (outcome.status === 'continuing') return 'continuing';
  await finishRun(ports, {
    planId,
    runId,
    problems: outcome.problems,
    ...(outcome.counters ? { counters: outcome.counters } : {}),
    ...(outcome.summary ? { summary: outcome.summary } : {}),
  });
  return 'finished';
}

export interface OrderCollectPorts extends FinalizePorts {
  readonly bindings: BindingRepository;
  readonly cursors: CursorRepository;
  readonly orderQueue: OrderQueue;
  /** Open bindings probed per batch (1C requests stay short and few) */
  readonly probeBatch?: number;
  /** Where the plan's parked orders are reported each run: how many, the oldest's age (the alarms' gauges) */
  readonly stuckMetrics?: (planId: string, parked: number, oldestAgeSeconds: number) => void;
}

/** Why a feed item cannot be exchanged, or null when its id is one the exchange can carry. */
function feedItemProblem(order: GoodwixOrder): (RunProblem & { readonly subject: string }) | null {
  if (GOODWIX_ORDER_ID.test(String(order.id))) return null;
  return {
    code: 'GOODWIX_FEED_ITEM_INVALID',
    subject: `Goodwix feed item ${order.id}`,
    message: cutText(
      `Goodwix feed item ${order.id} (order № ${order.number}, version ${order.version}): ${order.id} is not a Goodwix order id (a whole number from 1, at most 18 digits); left out of the exchange, the rest of the feed goes on`,
    ),
  };
}

/**
 * Registers and sends orders in batches of the queue's size. An order registered by an earlier
 * attempt of this collection is sent again: that attempt may have died before sending it, and
 * the queue's deduplication (or the run's done-once bookkeeping) absorbs a second copy.
 */
class Enqueuer {
  private pending: QueuedOrder[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly ports: OrderCollectPorts,
    private readonly ctx: CollectContext,
  ) {}

  async add(orderId: string, versions: string, force = false): Promise<void> {
    const { plan, run } = this.ctx;
    if (this.seen.has(orderId)) return;
    this.seen.add(orderId);
    await this.ports.run.runs.register(plan.id, run.runId, orderId, clock(this.ports.run));
    this.pending.push({ message: { kind: 'order', planId: plan.id, runId: run.runId, orderId, ...(force ? { force } : {}) }, versions });
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
      // A retried collection reads the same pages again: what an earlier attempt reported (as far as the kept problems show) is not counted twice.
      const reported = new Set(run.errors.filter((p) => p.code === 'GOODWIX_FEED_ITEM_INVALID').map((p) => p.subject));
      for await (const page of feed.pages()) {
        const orders: GoodwixOrder[] = [];
        const problems: RunProblem[] = [];
        for (const order of page.orders) {
          const problem = feedItemProblem(order);
          if (!problem) orders.push(order);
          else if (!reported.has(problem.subject)) problems.push(problem);
        }
        if (problems.length) {
          // Recorded before the collection is marked done, so before the run can close.
          log(ctx.ports).warn('Goodwix feed items left out: their ids are no Goodwix order ids', { planId: plan.id, runId: run.runId, count: problems.length, items: problems.slice(0, 10).map((p) => p.subject) });
          await ports.run.runs.append(plan.id, run.runId, { problems, counters: { failed: problems.length } });
        }
        // Echo suppression: an order whose version is the one the exchange itself left is not news.
        const known = await ports.bindings.goodwixVersions(plan.id, orders.map((o) => String(o.id)));
        for (const order of orders) {
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
      const now = clock(ports.run);
      ports.stuckMetrics(plan.id, parked, oldestSince ? Math.max(0, (now.getTime() - Date.parse(oldestSince)) / 1000) : 0);
    }
    await ports.run.runs.markCollected(plan.id, run.runId, pendingCursor);
    // Nothing queued, or every queued order already done while we were still collecting. The
    // collection may have used most of the collector's time: with a finalize queue wired (as in
    // AWS) the reserves and their reconciliation with 1C go on in a finalize message for the
    // worker, which closes the run; none of it is done here.
    await finalizeIfDone(ports, plan.id, run.runId, 'collector', { deadline: { remainingMs: () => 0 } });
    return { status: 'continuing' };
  };
}
