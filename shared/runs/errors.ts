/**
 * Errors of runs and triggers: one base, `RunError`.
 *
 * | class                 | code              | retryable | when |
 * |-----------------------|-------------------|-----------|------|
 * | RunInProgressError    | RUN_IN_PROGRESS   | no        | a run was asked for while another holds the plan (API: 409) |
 * | RunNotFoundError      | RUN_NOT_FOUND     | no        | no such run of the plan |
 * | RunQueueError         | RUN_QUEUE_FAILED  | yes       | the run message could not be sent to the run queue |
 * | EventPublishError     | EVENT_PUBLISH     | yes       | the event bus refused or failed an event |
 * | InvalidRunMessageError| RUN_MESSAGE_INVALID | no      | a run-queue message that does not parse (goes to the DLQ) |
 */
import { AppError, type ErrorContext } from '#platform/errors';

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

export class RunQueueError extends RunError {
  readonly code = 'RUN_QUEUE_FAILED';
  readonly retryable = true;
}

export class EventPublishError extends RunError {
  readonly code = 'EVENT_PUBLISH';
  readonly retryable = true;
  /** How many of the events handed to the publisher were put before the failure */
  readonly putCount: number;
  constructor(message: string, putCount: number, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options);
    this.putCount = putCount;
  }
}

export class InvalidRunMessageError extends RunError {
  readonly code = 'RUN_MESSAGE_INVALID';
  readonly retryable = false;
  constructor(issues: readonly string[], context: ErrorContext = {}) {
    super(`Invalid run message: ${issues.join('; ')}`, { context });
  }
}
