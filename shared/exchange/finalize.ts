// Stage 5 of 6, finalize: takes a run whose every order is done (from collect or sync one order, or a finalize message carrying on one that ran short of time), refreshes reserves, moves the cursor, closes the run and frees its plan, and hands the closed run item to run events (through the table).
/**
 * Closing a run, once its last order is done (or at once when it had none): the reserves of
 * every product the run touched are read back from 1C and pushed to Goodwix; then every
 * product's reserves on the plan's warehouse are reconciled with what Goodwix was last told
 * (`reconcileReserves`: one set-wise balance read, only the products that differ written, a
 * product whose last reserve went away cleared; a state never seeded is first seeded, a page of
 * the catalog at a time, from the `Integration` reserves Goodwix shows, so stale ones are cleared
 * too), so what a manager does in 1C alone shows in Goodwix after the next run; the Goodwix cursor
 * moves past what this run collected (every collected order reached its target or is parked,
 * and parked orders are retried from the open index, never from the cursor), and the run is
 * closed with its counters. Whoever finishes the last order closes the run; a claim on the run
 * item makes sure only one does.
 *
 * The products are read a page at a time in key order and the run item records the last one
 * pushed, so the finalize can stop and go on: before each page it looks at the time its
 * invocation has left (a `Deadline`, from Lambda's context), and when that is short it hands
 * the claim off and puts a continuation message (`kind: finalize`) on the order queue, which
 * goes on from the recorded product (past the last one, with the reconciliation, which
 * computes the differences afresh against the state saved after each batch). Pushing reserves
 * replaces them, so a page pushed twice (a crash between the push and the record) is harmless.
 */
import { randomUUID } from 'node:crypto';
import { cutText, NO_DEADLINE, type Deadline } from '#platform/limits';
import { AppError, isRetryable } from '#platform/errors';
import type { Plan } from '#plans/plan';
import type { RunPorts } from '#runs/ports';
import type { FinalizeMessage } from '#aws/order-queue';
import type { CursorRepository } from '#store/cursors';
import type { RunCounters, RunEndStatus, RunProblem, RunProgress, RunRecord } from '#store/runs';
import { RunNotRunningError } from '#store/errors';
import { clock } from '#platform/clock';
import { log } from '#platform/logger';
import type { SyncMetrics } from '#sync/client-metrics';
import type { PlanClientCache } from '#sync/plan-clients';
import type { ReserveSeed, ReserveState, ReserveStateRepository } from '#store/reserve-state';
import { planRefs } from '#sync/order-keys';
import { decodeProduct, reconcileReserves, refreshReserves, reserveCatalog, seedReserveState } from '#sync/reserves';

/**
 * The longest a plan stays locked once every order of its run is done: the close (reserves,
 * cursor, counters) is claimed and finished well within it, or the run is taken for abandoned.
 * Above the longest invocation that may be closing (the collector's 600 s timeout).
 */
export const RUN_CLOSE_BOUND_MS = 12 * 60_000;

/** The Goodwix change feed's position of a plan (`CURSOR#goodwix-orders`). */
export const GOODWIX_CURSOR = 'goodwix-orders';

/** Products read and pushed per page; the run item records how far the pages got after each. */
const FINALIZE_PAGE = 200;
/**
 * No page is started with less time left than this: a page of 200 products at 8 Goodwix
 * requests at once takes about 4 s at 150 ms a request; the rest is room for a slow 1C read,
 * for closing the run, and for the other orders of the batch (the worker starts none with
 * less than 30 s left).
 */
export const FINALIZE_MARGIN_MS = 60_000;

/** The metric counting runs that closed with this status. */
const RUN_STATUS_METRICS: Readonly<Record<string, string>> = { completed: 'RunsCompleted', attention: 'RunsAttention', failed: 'RunsFailed' };

/** Where a finalize that runs out of time puts its continuation (the order queue). */
export interface FinalizeQueue {
  /** `handoff`: unique per hand-off (the claim given up), for the message's deduplication */
  sendFinalize(message: { planId: string; runId: string; after: string | null; handoff: string }): Promise<void>;
}

export interface FinalizePorts {
  readonly run: RunPorts;
  readonly metrics?: SyncMetrics;
  readonly cursors: CursorRepository;
  readonly clients: PlanClientCache;
  /** What Goodwix was last told of each product's reserves */
  readonly reserveState: ReserveStateRepository;
  /** Without it the finalize never stops for time (tests, local tools) */
  readonly finalizeQueue?: FinalizeQueue;
  /** Overrides FINALIZE_PAGE, FINALIZE_MARGIN_MS (tests, benchmarks) */
  readonly finalizeTuning?: { readonly page?: number; readonly marginMs?: number; readonly concurrency?: number };
}

export interface FinalizeOptions {
  /** The time the invocation has left; the finalize hands off before it runs out */
  readonly deadline?: Deadline;
  /**
   * Push at least one page before handing off, whatever the time (a continuation: a message
   * that keeps arriving in invocations short of time must still move the finalize on)
   */
  readonly progress?: boolean;
}

/**
 * A finalize continuation: takes the handed-off claim and goes on from where the finalize got
 * (a copy of the message, or one for a run closed meanwhile, finds nothing to do). It pushes at
 * least one page before it hands off again, so a chain of continuations always moves on.
 */
export async function processFinalizeMessage(ports: FinalizePorts, message: FinalizeMessage, options: { deadline?: Deadline } = {}): Promise<boolean> {
  return finalizeIfDone(ports, message.planId, message.runId, 'finalize', { ...options, progress: true });
}

/**
 * Closes the run if all of its orders are done and nobody else is closing it: true when this call
 * went through to the close, false when there was nothing for it to do or it handed the rest off
 * to a continuation message.
 */
export async function finalizeIfDone(ports: FinalizePorts, planId: string, runId: string, claimant: string, options: FinalizeOptions = {}): Promise<boolean> {
  const progress = await ports.run.runs.progress(planId, runId);
  if (progress && progress.status !== 'running') {
    // Closed already. A finalizer that died between closing the run and releasing its lock left
    // the plan locked until the lease ends; the run's next message (its redelivery) lets it go.
    // Conditional on this run holding it: another run's lock is never touched.
    await ports.run.locks.release(planId, runId).catch(() => false);
    return false;
  }
  if (!progress?.collected || progress.done < progress.queued) return false;
  const now = () => clock(ports.run);
  // Only the close is left: if whoever claims it dies, the plan is free again within the bound.
  await ports.run.locks.cap(planId, runId, { ttlMs: RUN_CLOSE_BOUND_MS, now: now() }).catch(() => false);
  // Unique per call: two copies of a continuation message must not both believe they hold it.
  const me = `${claimant}#${randomUUID().slice(0, 8)}`;
  if (!(await ports.run.runs.claimFinalize(planId, runId, me, now()))) return false;
  try {
    return await closeClaimed(ports, { planId, runId, me, progress }, options);
  } catch (error) {
    // Given back before the error goes to the queue: its redelivery comes within seconds, long
    // before the claim would be stale, and would find it held, be acknowledged, and leave the run
    // running until the next start closed it as abandoned. A kill is different: its message
    // comes back after the visibility timeout, when the claim is stale and taken over.
    await ports.run.runs.releaseFinalize(planId, runId, me).catch(() => false);
    throw error;
  }
}

/** The close, once claimed: the run's reserves, their reconciliation with 1C, the cursor, the close itself. */
async function closeClaimed(
  ports: FinalizePorts,
  claim: { planId: string; runId: string; me: string; progress: RunProgress },
  options: FinalizeOptions,
): Promise<boolean> {
  const { planId, runId, me, progress } = claim;
  const now = () => clock(ports.run);
  // Each step of the close that moves it on (a page pushed, a seed page, a reconcile batch) keeps
  // the plan this run's for another bound, no longer.
  const keepPlan = () => ports.run.locks.renew(planId, runId, { ttlMs: RUN_CLOSE_BOUND_MS, now: now() }).catch(() => undefined);
  const deadline = options.deadline ?? NO_DEADLINE;
  const pageSize = ports.finalizeTuning?.page ?? FINALIZE_PAGE;
  const marginMs = ports.finalizeTuning?.marginMs ?? FINALIZE_MARGIN_MS;
  let reservesFailed = false;
  const stored = await ports.run.plans.get(planId).catch(async (error: unknown) => {
    if (isRetryable(error)) throw error;
    // A plan that no longer reads cannot say where its reserves are: the run closes without
    // them, `attention`, with the reason; retrying would only hold the run open.
    reservesFailed = true;
    await ports.run.runs.append(planId, runId, { problems: [{ code: error instanceof AppError ? error.code : 'SYNC_RESERVES_FAILED', subject: 'plan', message: cutText(`reserves: not refreshed: ${(error as Error).message}`) }] });
    return null;
  });
  let pushed = progress.reservesPushed;
  let reconciled = progress.reservesReconciled;
  const short = () => deadline.remainingMs() < marginMs;
  const handOff = async (after: string | null): Promise<false> => {
    // Handed off first, so the message always finds the claim free; a send that fails is retried
    // with the message being processed, whose redelivery takes the handed-off claim.
    if (await ports.run.runs.handOff(planId, runId, me, now())) {
      await ports.finalizeQueue!.sendFinalize({ planId, runId, after, handoff: me });
      ports.metrics?.count('FinalizeContinued', 1, planId);
    }
    return false;
  };
  if (stored) {
    const plan = stored.plan as Plan;
    // The plan's warehouse as a Ref_Key (a plan may name it; the plan check resolves the name).
    const warehouse = () => planRefs(plan).warehouse;
    const { reserveState } = ports;
    let loaded: Promise<{ state: ReserveState; seed: ReserveSeed }> | undefined;
    const catalog = reserveCatalog(plan);
    const loadWithSeed = () =>
      (loaded ??= (async () => {
        const current = await reserveState.loadWithSeed(planId);
        if (current.seed.catalog === catalog) return current;
        // What the state says Goodwix was told was told another catalog (the plan moved, or the
        // state predates the catalog's name on it): started over, and this catalog read by the seed.
        await reserveState.reset(planId, runId, catalog, now());
        return { state: new Map(), seed: { seeded: false, run: runId, cursor: null, catalog } };
      })());
    const loadState = async () => (await loadWithSeed()).state;
    const unlistedProblems = async (unlisted: readonly string[]) => {
      const problems: RunProblem[] = unlisted.map((key) => ({
        code: 'SYNC_RESERVE_UNLISTED', subject: `1C product ${key}`, message: `1C product ${key} holds reserves but Goodwix catalog ${plan.goodwix.catalogId} does not list it`,
      }));
      // Problems are a bounded list with a total on the run item; a page done twice after a crash may count its problems twice.
      if (problems.length) await ports.run.runs.append(planId, runId, { problems });
    };
    let after = progress.reservesAfter;
    // Products kept in a set on the run item (an abandoned run's, handed on at the start): made items first.
    let fromSet = progress.productSet.length > 0 && after === null;
    let pages = 0;
    // A continuation must move on whatever its time: its first page (or first reconcile batch) goes.
    const mayGoOn = () => !ports.finalizeQueue || (options.progress === true && pages === 0) || !short();
    for (;;) {
      const page = fromSet ? null : await ports.run.runs.productsPage(planId, runId, after, pageSize);
      if (page && page.products.length === 0) break;
      // Not enough time for another page: the rest goes on in a message of its own.
      if (!mayGoOn()) return handOff(after);
      if (!page) {
        await ports.run.runs.recordProducts(planId, runId, progress.productSet, now());
        fromSet = false;
        continue;
      }
      try {
        const result = await refreshReserves(await ports.clients.get(plan), page.products.map(decodeProduct), {
          warehouse: warehouse(),
          ...(ports.finalizeTuning?.concurrency ? { concurrency: ports.finalizeTuning.concurrency } : {}),
        });
        pushed += result.products;
        await unlistedProblems(result.unlisted);
        // What Goodwix was told, so that the reconciliation below finds these products unchanged.
        await reserveState.save(planId, await loadState(), result.told, now());
        if (!(await ports.run.runs.recordReserves(planId, runId, me, page.last!, result.products, now()))) return false;
        await keepPlan();
      } catch (error) {
        // The orders are done; a reserve push that failed is retried by the next run (its reconciliation).
        reservesFailed = true;
        await ports.run.runs.append(planId, runId, { problems: [{ code: error instanceof AppError ? error.code : 'SYNC_RESERVES_FAILED', subject: 'reserves', message: cutText(`reserves: not refreshed: ${(error as Error).message}`) }] });
        break;
      }
      after = page.last;
      pages += 1;
      if (!page.more) break;
    }

    // Then every product of the warehouse, whatever touched it: reserves a manager made, changed
    // or released in 1C alone reach Goodwix too, and only the products that differ are written.
    if (!reservesFailed) {
      if (!mayGoOn()) return handOff(after);
      try {
        let lost = false;
        // A state never seeded from Goodwix's own reserves does not know what Goodwix showed
        // before this exchange told it anything: read once, so the diff clears what 1C no longer
        // holds. Page by page, each recorded, so a continuation goes on from the page it reached.
        const { seed } = await loadWithSeed();
        if (!seed.seeded) {
          const seeded = await seedReserveState((await ports.clients.get(plan)).goodwix, seed.run === runId ? seed.cursor : null, {
            canGoOn: () => !lost && mayGoOn(),
            record: async (told, next) => {
              await reserveState.save(planId, await loadState(), told, now());
              await reserveState.saveSeed(planId, runId, next, now(), catalog);
              pages += 1;
              // Nothing reconciled yet: counts 0, but keeps the claim fresh and checks it is still ours.
              if (!(await ports.run.runs.recordReconciled(planId, runId, me, 0, now()))) lost = true;
              await keepPlan();
            },
          });
          if (lost) return false;
          if (!seeded.complete) return handOff(after);
        }
        const result = await reconcileReserves(await ports.clients.get(plan), warehouse(), await loadState(), {
          canGoOn: () => !lost && mayGoOn(),
          record: async (told, n) => {
            await reserveState.save(planId, await loadState(), told, now());
            if (!(await ports.run.runs.recordReconciled(planId, runId, me, n, now()))) lost = true;
            // A lapsed lease would let the next start abandon the run while this finalizer went on
            // writing the reserve state from its own copy.
            await keepPlan();
          },
          ...(ports.finalizeTuning?.concurrency ? { concurrency: ports.finalizeTuning.concurrency } : {}),
          ...(ports.finalizeTuning?.page ? { batch: ports.finalizeTuning.page } : {}),
        });
        reconciled += result.products;
        pages += 1;
        await unlistedProblems(result.unlisted);
        if (lost) return false;
        if (!result.complete) return handOff(after);
      } catch (error) {
        reservesFailed = true;
        await ports.run.runs.append(planId, runId, { problems: [{ code: error instanceof AppError ? error.code : 'SYNC_RESERVES_FAILED', subject: 'reserves', message: cutText(`reserves: not reconciled with 1C: ${(error as Error).message}`) }] });
      }
    }
  }
  let summary = `${progress.done} order(s) exchanged`;
  if (pushed > 0) summary += `, reserves of ${pushed} product(s) refreshed`;
  if (reconciled > 0) summary += `, reserves of ${reconciled} product(s) changed in 1C reconciled`;
  if (progress.pendingCursor) {
    await ports.cursors.advance(planId, GOODWIX_CURSOR, { position: runId, value: progress.pendingCursor }, now());
  }
  // The run went through but left work for a person: parked orders, reserves not refreshed
  // (`attention`). Unlisted products are worth reading but leave the run `completed`.
  const parked = (await ports.run.runs.get(planId, runId))?.counters.failed ?? 0;
  const status = reservesFailed || parked > 0 ? 'attention' : 'completed';
  const closed = await finishRun(ports.run, { planId, runId, summary, status });
  if (closed) {
    ports.metrics?.count(RUN_STATUS_METRICS[closed.status] ?? 'RunsFailed', 1, planId);
    ports.metrics?.seconds('RunDuration', (Date.parse(closed.endedAt ?? now().toISOString()) - Date.parse(closed.startedAt)) / 1000, planId);
  }
  return true;
}

export interface FinishRunRequest {
  readonly planId: string;
  readonly runId: string;
  readonly problems?: readonly RunProblem[];
  readonly counters?: Partial<RunCounters>;
  /** Default: failed when there are problems, completed otherwise */
  readonly status?: RunEndStatus;
  readonly summary?: string;
}

/**
 * Closes a running run with its counters and problems and releases its lock. Answers null when the run was closed already (a redelivered message): nothing is
 * written twice.
 */
export async function finishRun(ports: RunPorts, request: FinishRunRequest): Promise<RunRecord | null> {
  const { planId, runId } = request;
  const problems = request.problems ?? [];
  const status: RunEndStatus = request.status ?? (problems.length > 0 ? 'failed' : 'completed');
  const current = await ports.runs.get(planId, runId);
  if (current?.status !== 'running') {
    await ports.locks.release(planId, runId);
    return null;
  }
  let closed: RunRecord;
  try {
    // Another closer may close the run after the read above: the counters and problems go in the
    // close's own write, so they land only on a run this call closes.
    closed = await ports.runs.close(planId, runId, {
      status, endedAt: clock(ports), ...(request.summary ? { summary: request.summary } : {}), problems, ...(request.counters ? { counters: request.counters } : {}),
    });
  } catch (error) {
    if (error instanceof RunNotRunningError) {
      await ports.locks.release(planId, runId);
      return null;
    }
    throw error;
  }
  await ports.locks.release(planId, runId);
  log(ports).info('run finished', { planId, runId, status, errorCount: closed.errorCount });
  return closed;
}
