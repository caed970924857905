/**
 * Killed Lambda invocations for the chaos suite, through the local runtime's test-only hooks
 * (`LocalRuntimeOptions.testHooks`).
 *
 * How an invocation is killed. Every dependency the worker is wired with (1C and Goodwix
 * clients, binding repository, run progress, cursors, locks, runs, plans, its SQS client)
 * and the collector's ports and collect body are wrapped: each call passes a checkpoint before
 * it starts and after it settles. An invocation is armed, with some probability, to die at a
 * random checkpoint; there a `SimulatedCrash` is thrown and the invocation is *dead*: every
 * later call of any wrapped dependency throws it too, so nothing more reaches 1C, Goodwix,
 * DynamoDB or SQS (no parking, no counting, no back-off, no finalize) — the code after the
 * crash point only unwinds. When the handler returns, the invocation wrapper throws instead of
 * answering, so the runtime's event source deletes none of the batch's messages (not even those
 * the invocation finished before it died): they come back after the queue's visibility
 * timeout, as with a Lambda that was killed or timed out.
 *
 * Time. In AWS a killed invocation's messages come back after the queue's visibility timeout
 * (720 s for the order queue, 360 s for the run queue); the local queues use a short one so the
 * suite stays fast. The runtime's clock (`now`) is moved forward by the AWS timeout at every
 * kill, so time-based logic (a finalize claim taken over after 5 minutes, lock leases) sees
 * what it would see in AWS.
 *
 * A message is only killed while it has at least two deliveries left before the DLQ, so the
 * kills alone never send a message there: anything found in a DLQ is unexplained. Lambda's
 * timeout is emulated too (`invocationTimeoutMs`): an invocation still running then is ended
 * as AWS ends it — the wrapper answers at once, and the work it leaves behind dies at its next
 * dependency call (a request already on the wire completes or not, as with a real kill).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { WorkerFunctionPorts } from '#functions/worker/app';
import type { LocalRuntimeTestHooks, QueueHandler } from '#local/runtime/runtime';
import type { CollectBody, CollectorPorts } from '#exchange/collect';
import { runQueueDefinition } from '#aws/run-queue';
import { orderQueueDefinition } from '#aws/order-queue';
import type { Random } from './chaos-random.ts';

export type FunctionName = 'collector' | 'worker';

export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
  constructor(
    readonly fn: FunctionName,
    readonly step: string,
  ) {
    super(`simulated crash: the ${fn} invocation was killed at ${step}`);
  }
}

export interface KillRecord {
  readonly fn: FunctionName;
  /**
   * An armed kill at a random checkpoint, one aimed right after an external write, a finalizer
   * killed after its messages were acknowledged, or the invocation outlasting its timeout
   */
  readonly cause: 'kill' | 'aimed' | 'acked' | 'timeout';
  readonly step: string;
  readonly records: number;
  readonly receiveCounts: readonly number[];
}

/** The runtime's clock: real time plus what the kills added. */
export class ChaosClock {
  offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface KillerOptions {
  readonly random: Random;
  /** Share of worker invocations armed to die (default 0.15) */
  readonly workerKillRate?: number;
  /** Share of collector invocations armed to die (default 0.2) */
  readonly collectorKillRate?: number;
  /** Checkpoints among which the death of an armed invocation is drawn (worker default 120: a batch of 10 orders passes ~150–300) */
  readonly workerHorizon?: number;
  readonly collectorHorizon?: number;
  /**
   * Lambda's timeout, ms (default: none): an invocation still running then is ended — the
   * wrapper answers at once, the work left behind dies at its next call. Keep it below the
   * queue's visibility timeout, as AWS does, or a slow invocation overlaps its own redelivery.
   */
  readonly invocationTimeoutMs?: number;
  /** The collector's timeout, ms (default: `invocationTimeoutMs`; AWS: 600 s, five times the worker's 120 s) */
  readonly collectorTimeoutMs?: number;
  /**
   * Chance per worker invocation that the schedule aims a kill right after one external write,
   * before the next (the write drawn from `EXTERNAL_WRITES`): the next worker invocation that
   * makes that write (and may die) dies as it settles. A random checkpoint reaches these gaps
   * only now and then; an aimed kill reaches the one drawn.
   */
  readonly aimedKillRate?: number;
  readonly clock: ChaosClock;
}

/**
 * The worker's external writes: 1C (create, update, post, unpost), the binding, Goodwix (order,
 * reserves) and the run's progress. An aimed kill dies as the write settles, before the next.
 */
/** Where an armed finalizer dies, its messages acknowledged: right after it claimed the close. */
export const FINALIZE_CLAIM_STEP = 'runs.claimFinalize';

export const EXTERNAL_WRITES = [
  'onec.createOrder', 'onec.updateOrder', 'onec.postOrder', 'onec.unpostOrder',
  'bindings.save',
  'goodwix.updateOrder', 'goodwix.replaceIntegrationReserves',
  'runs.complete',
] as const;

interface Invocation {
  readonly fn: FunctionName;
  readonly killAt: number | null;
  /** May be killed (its messages have two deliveries left before the DLQ) */
  readonly mayDie: boolean;
  steps: number;
  /** Died as a finalizer after its messages were acknowledged: the wrapper answers success */
  acked: boolean;
  /** Died by an aimed kill, after this write */
  aimedAt: string | null;
  /** The last dependency call it made (where a timeout found it) */
  lastStep: string;
  dead: SimulatedCrash | null;
}

const NOT_WRAPPED = new Set(['logger', 'metrics', 'now', 'lockTtlMs', 'connectors']);

export class Killer {
  readonly kills: KillRecord[] = [];
  readonly invocations: Record<FunctionName, number> = { collector: 0, worker: 0 };
  /** Records handed to each function, and how many of them were redeliveries */
  readonly deliveries: Record<FunctionName, { total: number; redelivered: number }> = { collector: { total: 0, redelivered: 0 }, worker: { total: 0, redelivered: 0 } };
  /** The invocation a call belongs to (several worker invocations may run at once) */
  private readonly current = new AsyncLocalStorage<Invocation>();
  /**
   * Makes a dead invocation's messages visible again soon. In AWS they come back after the
   * queue's visibility timeout; the clock is moved by that much, so real time need not pass
   * too. The queue's own timeout stays long, so a slow but living invocation is never
   * overlapped by its redelivery. Set once the runtime's queues exist.
   */
  releaseAfterDeath?: (fn: FunctionName, records: readonly SQSRecord[], visibleInSeconds: number) => Promise<void>;
  /** Deliveries of each message that a kill or a timeout ended */
  readonly deathsByMessage = new Map<string, number>();
  /** Deliveries the worker returned unstarted for lack of time, by message id (each costs a receive) */
  readonly unstartedByMessage = new Map<string, number>();
  private readonly messageOfReceipt = new Map<string, string>();
  /**
   * Called when a worker's call of a dependency settles, before the worker goes on: how the
   * suite interleaves people's edits with the exchange's own steps (an edit between a lost
   * answer and its retry, a Goodwix edit between the 1C write and the Goodwix write).
   */
  onSettled?: (step: string, args: readonly unknown[], outcome: { readonly value?: unknown; readonly error?: unknown }) => Promise<void>;
  /**
   * Called before a worker's call of a dependency starts: a promise to wait for (the suite lands
   * a manager's save right before the exchange's 1C update), or null to go on at once.
   */
  onStart?: (step: string, args: readonly unknown[]) => Promise<void> | null;
  /**
   * Finalizers to kill after the last order message was acknowledged (issue 14, defect 6): the
   * next worker that claims a run's close dies right after the claim, and its invocation answers
   * success, so no message of the run is left to redeliver. The run must still be closed within
   * the bound docs/reliability.md states.
   */
  finalizeDeathsArmed = 0;
  /** Aimed kills by the write they followed */
  readonly aimed: Record<string, number> = {};
  /** Writes the schedule aimed a kill at, not reached yet */
  private readonly aims: string[] = [];
  private enabled = true;

  constructor(private readonly options: KillerOptions) {}

  /** Stops arming new invocations (the verification phase wants a quiet system). */
  pause(): void {
    this.enabled = false;
    this.aims.length = 0;
  }
  resume(): void {
    this.enabled = true;
  }

  hooks(): LocalRuntimeTestHooks {
    return {
      workerPorts: (wiring) => this.wrapWorker(wiring),
      collectorPorts: (ports) => this.wrapCollector(ports),
      invocation: (fn, handler) => this.wrapInvocation(fn, handler),
    };
  }

  private checkpoint(fn: FunctionName, step: string): void {
    const inv = this.current.getStore();
    if (!inv || inv.fn !== fn) return;
    if (inv.dead) throw inv.dead;
    inv.steps += 1;
    inv.lastStep = step;
    if (inv.killAt !== null && inv.steps >= inv.killAt) {
      inv.dead = new SimulatedCrash(fn, step);
      throw inv.dead;
    }
    const aim = inv.mayDie && this.enabled && this.aims.length ? this.aims.findIndex((w) => step === `${w}:done` || step === `${w}:failed`) : -1;
    if (aim >= 0) {
      const [write] = this.aims.splice(aim, 1);
      this.aimed[write!] = (this.aimed[write!] ?? 0) + 1;
      inv.aimedAt = write!;
      inv.dead = new SimulatedCrash(fn, step);
      throw inv.dead;
    }
  }

  /** The object with every method call passing a checkpoint before it starts and after it settles. */
  private wrap<T extends object>(fn: FunctionName, name: string, target: T, transform?: (method: string, value: unknown) => unknown): T {
    return new Proxy(target, {
      get: (t, prop) => {
        const value = Reflect.get(t, prop, t) as unknown;
        if (typeof value !== 'function' || prop === 'constructor') return value;
        const method = String(prop);
        return (...args: unknown[]) => {
          const step = `${name}.${method}`;
          this.checkpoint(fn, step);
          const first = fn === 'worker' && this.onStart && this.enabled && this.current.getStore()?.fn === 'worker' ? this.onStart(step, args) : null;
          const result = first
            ? first.catch(() => undefined).then(() => {
              this.checkpoint(fn, step);
              return (value as (...a: unknown[]) => unknown).apply(t, args);
            })
            : (value as (...a: unknown[]) => unknown).apply(t, args);
          if (result instanceof Promise) {
            const observe = fn === 'worker' && this.onSettled && this.enabled ? this.onSettled : null;
            return result.then(
              async (v: unknown) => {
                if (observe) await observe(step, args, { value: v }).catch(() => undefined);
                if (step === FINALIZE_CLAIM_STEP && v === true && fn === 'worker' && this.finalizeDeathsArmed > 0 && this.enabled) {
                  const inv = this.current.getStore();
                  if (inv && inv.fn === 'worker' && !inv.dead) {
                    // The close is claimed; the finalizer dies and its batch is acknowledged.
                    this.finalizeDeathsArmed -= 1;
                    inv.acked = true;
                    inv.dead = new SimulatedCrash(fn, `${step}:done, messages acknowledged`);
                    throw inv.dead;
                  }
                }
                this.checkpoint(fn, `${step}:done`);
                return transform ? transform(method, v) : v;
              },
              async (error: unknown) => {
                if (observe) await observe(step, args, { error }).catch(() => undefined);
                this.checkpoint(fn, `${step}:failed`);
                throw error;
              },
            );
          }
          return result;
        };
      },
    });
  }

  /** Wraps every dependency object of a ports/deps record (nested one level for `run`). */
  private wrapPorts<T extends object>(fn: FunctionName, ports: T): T {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(ports)) {
      if (NOT_WRAPPED.has(key) || value === null || typeof value !== 'object') out[key] = value;
      else if (key === 'run') out[key] = this.wrapPorts(fn, value as object);
      else if (key === 'clients') out[key] = this.wrap(fn, key, value as object, (method, v) => (method === 'get' ? this.wrapClients(fn, v as { onec: object; goodwix: object }) : v));
      else out[key] = this.wrap(fn, key, value as object);
    }
    return out as T;
  }

  private wrapClients(fn: FunctionName, clients: { onec: object; goodwix: object }) {
    return { ...clients, onec: this.wrap(fn, 'onec', clients.onec), goodwix: this.wrap(fn, 'goodwix', clients.goodwix) };
  }

  private wrapWorker(wiring: WorkerFunctionPorts): WorkerFunctionPorts {
    // A delivery returned unstarted (too little time left) is counted: like a kill, it costs a
    // receive for a reason that is not the exchange's failure.
    const counted = new Proxy(wiring.queue, {
      get: (target, prop, receiver) => {
        if (prop !== 'returnNow') return Reflect.get(target, prop, receiver);
        return async (receiptHandle: string) => {
          const id = this.messageOfReceipt.get(receiptHandle);
          if (id) this.unstartedByMessage.set(id, (this.unstartedByMessage.get(id) ?? 0) + 1);
          return target.returnNow(receiptHandle);
        };
      },
    });
    return { ...wiring, ports: this.wrapPorts('worker', wiring.ports), queue: this.wrap('worker', 'queue', counted) };
  }

  private wrapCollector<T extends CollectorPorts>(ports: T): T {
    const wrapped = this.wrapPorts('collector', ports);
    const body = ports.collect;
    if (!body) return wrapped;
    const collect: CollectBody = async (ctx) => {
      this.checkpoint('collector', 'collect');
      const outcome = await body({
        ...ctx,
        renewLock: async () => {
          // Called between the feed's pages and after each batch of 1C probes: mid-collection.
          this.checkpoint('collector', 'renewLock');
          await ctx.renewLock();
          this.checkpoint('collector', 'renewLock:done');
        },
      });
      this.checkpoint('collector', 'collect:done');
      return outcome;
    };
    return { ...wrapped, collect };
  }

  private wrapInvocation(fn: FunctionName, handler: QueueHandler): QueueHandler {
    const definition = fn === 'worker' ? orderQueueDefinition : runQueueDefinition;
    const rate = fn === 'worker' ? (this.options.workerKillRate ?? 0.15) : (this.options.collectorKillRate ?? 0.2);
    const horizon = fn === 'worker' ? (this.options.workerHorizon ?? 120) : (this.options.collectorHorizon ?? 12);
    return async (event: SQSEvent, context) => {
      const counts = event.Records.map((r) => Number(r.attributes.ApproximateReceiveCount ?? '1'));
      for (const r of event.Records) this.messageOfReceipt.set(r.receiptHandle, r.messageId);
      this.invocations[fn] += 1;
      this.deliveries[fn].total += counts.length;
      this.deliveries[fn].redelivered += counts.filter((c) => c > 1).length;
      // Never the kill that would send a message to the DLQ: two deliveries stay after it.
      const eligible = this.enabled && counts.every((c) => c <= definition.maxReceiveCount - 2);
      const killAt = eligible && this.options.random.chance(rate) ? this.options.random.int(1, horizon) : null;
      if (fn === 'worker' && this.enabled && this.aims.length < EXTERNAL_WRITES.length && this.options.random.chance(this.options.aimedKillRate ?? 0)) this.aims.push(this.options.random.pick(EXTERNAL_WRITES));
      const inv: Invocation = { fn, killAt, mayDie: eligible, steps: 0, lastStep: 'start', dead: null, acked: false, aimedAt: null };
      return this.current.run(inv, async () => {
        const work = handler(event, context).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
        let timer: NodeJS.Timeout | undefined;
        const limit = fn === 'collector' ? (this.options.collectorTimeoutMs ?? this.options.invocationTimeoutMs) : this.options.invocationTimeoutMs;
        const timedOut = limit ? new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limit))) : null;
        const first = timedOut ? await Promise.race([work, timedOut]) : await work;
        clearTimeout(timer);
        if (first === 'timeout') inv.dead ??= new SimulatedCrash(fn, `timeout (busy in ${inv.lastStep})`);
        if (inv.dead && inv.acked && first !== 'timeout') {
          // Every order of the run was done when the close was claimed: the batch is acknowledged
          // (Lambda deleted the messages before the finalizer died), nothing comes back.
          this.kills.push({ fn, cause: 'acked', step: inv.dead.step, records: counts.length, receiveCounts: counts });
          return { batchItemFailures: [] };
        }
        if (inv.dead) {
          for (const r of event.Records) this.deathsByMessage.set(r.messageId, (this.deathsByMessage.get(r.messageId) ?? 0) + 1);
          this.kills.push({ fn, cause: first === 'timeout' ? 'timeout' : inv.aimedAt !== null ? 'aimed' : 'kill', step: inv.dead.step, records: counts.length, receiveCounts: counts });
          this.options.clock.advance(definition.visibilityTimeoutSeconds * 1000);
          const release = (seconds = 1) => this.releaseAfterDeath?.(fn, event.Records, seconds).catch(() => undefined);
          // A timed-out invocation's work goes on until its next call, and a request on the wire
          // (a 1C update's re-read and PATCH are one call) completes. In AWS the messages come
          // back 720 s later, long after any request settled; released at once, a redelivery
          // would run beside that request — two exchanges of one order at a time, which the
          // FIFO group rules out. Released once the work left behind has ended.
          if (first === 'timeout') {
            await release(120); // kept hidden while that work lasts (past the queue's own 10 s)
            void work.then(() => release());
          } else await release();
          throw inv.dead;
        }
        if ('error' in (first as object)) throw (first as { error: unknown }).error;
        return (first as { result: Awaited<ReturnType<QueueHandler>> }).result;
      });
    };
  }
}
