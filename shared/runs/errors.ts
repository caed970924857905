/**
 * Errors of runs and triggers: one base, `RunError`. The run queue's and the event bus's are
 * the adapters' (`#aws/errors`).
 *
 * | class                 | code              | retryable | when |
 * |-----------------------|-------------------|-----------|------|
 * | RunInProgressError    | RUN_IN_PROGRESS   | no        | a run was asked for while another holds the plan (API: 409) |
 * | RunNotFoundError      | RUN_NOT_FOUND     | no        | no such run of the plan |
 */
import { AppError } from '#platform/errors';

export abstract class RunError extends AppError {}

export class RunInProgressError extends RunError {
  readonly code = 'RUN_IN_PROGRESS';
  readonly retryable = false;
  readonly runningRunId: string | null;
  constructor(planId: string, runningRunId: string | null) {
    super(`Plan ${planId} already has a run in progress${runningRunId ? ` (${runningRunId})` : ''}`, { context: { planId, runId: runningRunId } });
    this.runningRunId = runningRunId;
  }
}

export class RunNotFoundError extends RunError {
  readonly code = 'RUN_NOT_FOUND';
  readonly retryable = false;
  constructor(planId: string, runId: string) {
    super(`Run ${runId} of plan ${planId} not found`, { context: { planId, runId } });
  }
}
