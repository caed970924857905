/**
 * Errors of the SQS and EventBridge adapters: one base, `AwsAdapterError`. A send that failed is
 * retryable (the caller's message or invocation comes again); a message that does not parse is
 * not (it goes to its DLQ).
 *
 * | class                   | code                 | retryable | when |
 * |-------------------------|----------------------|-----------|------|
 * | RunQueueError           | RUN_QUEUE_FAILED     | yes       | the run message could not be sent to the run queue |
 * | InvalidRunMessageError  | RUN_MESSAGE_INVALID  | no        | a run-queue message that does not parse (goes to the DLQ) |
 * | SyncQueueError          | SYNC_QUEUE           | yes       | an order or finalize message could not be sent, or its visibility not changed |
 * | InvalidOrderMessageError| SYNC_MESSAGE_INVALID | no        | an order-queue message that does not parse (goes to the DLQ) |
 * | EventPublishError       | EVENT_PUBLISH        | yes       | the event bus refused or failed an event |
 */
import { AppError, type ErrorContext } from '#platform/errors';

export abstract class AwsAdapterError extends AppError {}

export class RunQueueError extends AwsAdapterError {
  readonly code = 'RUN_QUEUE_FAILED';
  readonly retryable = true;
}

export class InvalidRunMessageError extends AwsAdapterError {
  readonly code = 'RUN_MESSAGE_INVALID';
  readonly retryable = false;
  constructor(issues: readonly string[], context: ErrorContext = {}) {
    super(`Invalid run message: ${issues.join('; ')}`, { context });
  }
}

export class SyncQueueError extends AwsAdapterError {
  readonly code = 'SYNC_QUEUE';
  readonly retryable = true;
}

export class InvalidOrderMessageError extends AwsAdapterError {
  readonly code = 'SYNC_MESSAGE_INVALID';
  readonly retryable = false;
}

export class EventPublishError extends AwsAdapterError {
  readonly code = 'EVENT_PUBLISH';
  readonly retryable = true;
  /** How many of the events handed to the publisher were put before the failure */
  readonly putCount: number;
  constructor(message: string, putCount: number, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options);
    this.putCount = putCount;
  }
}
