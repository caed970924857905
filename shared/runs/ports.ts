/**
 * What the run use cases need, passed as plain arguments (no container): the repositories, the
 * run queue, the lock lease length, a clock and a logger.
 */
import type { CursorRepository } from '#store/cursors';
import type { LockRepository } from '#store/lock';
import type { OrderRecordReader } from '#store/order-records';
import type { PlanRepository } from '#store/plans';
import type { RunRepository } from '#store/runs';
import type { CheckPorts } from './check-plan.ts';
import type { RunQueue } from './queue.ts';

/** The subset of Powertools' Logger the use cases call. */
export interface RunLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export const silentLogger: RunLogger = { info() {}, warn() {}, error() {} };

export interface RunPorts {
  readonly plans: PlanRepository;
  readonly locks: LockRepository;
  readonly runs: RunRepository;
  /** How long a run's lock lasts without renewal: longer than the collector's longest stretch */
  readonly lockTtlMs: number;
  readonly now?: () => Date;
  readonly logger?: RunLogger;
}

/** What starting a run needs on top: the run queue the collect message goes to. */
export interface StartPorts extends RunPorts {
  readonly queue: RunQueue;
}

/** The API's ports: runs, plus what the check and the order records need. */
export interface ControlPorts extends StartPorts, CheckPorts {
  readonly orderRecords: OrderRecordReader;
  readonly cursors?: CursorRepository;
}

export function clock(ports: { now?: () => Date }): Date {
  return ports.now?.() ?? new Date();
}

export function log(ports: { logger?: RunLogger }): RunLogger {
  return ports.logger ?? silentLogger;
}

/** Runs `fn` over `items` with at most `limit` at once, keeping the order of results. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}
