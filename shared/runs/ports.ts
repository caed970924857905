/**
 * What the run use cases need, passed as plain arguments (no container): the repositories, the
 * run queue, the lock lease length, a clock and a logger.
 */
import type { Clock } from '#platform/clock';
import type { Logger } from '#platform/logger';
import type { LockRepository } from '#store/lock';
import type { PlanRepository } from '#store/plans';
import type { RunRepository } from '#store/runs';
import type { RunQueue } from '#aws/run-queue';

export interface RunPorts {
  readonly plans: PlanRepository;
  readonly locks: LockRepository;
  readonly runs: RunRepository;
  /** How long a run's lock lasts without renewal: longer than the collector's longest stretch */
  readonly lockTtlMs: number;
  readonly now?: Clock;
  readonly logger?: Logger;
}

/** What starting a run needs on top: the run queue the collect message goes to. */
export interface StartPorts extends RunPorts {
  readonly queue: RunQueue;
}

