/**
 * Errors of the DynamoDB store: one base, `StoreError`; infrastructure failures mapped by
 * `toStoreError`, and conditional-write failures turned into conflicts that say what happened.
 *
 * | class                      | code                   | retryable | when |
 * |----------------------------|------------------------|-----------|------|
 * | StoreUnavailableError      | STORE_UNAVAILABLE      | yes       | throttling, 5xx, network, timeouts |
 * | StoreRequestError          | STORE_REQUEST          | no        | the request is wrong (validation, missing table): a bug or misconfiguration |
 * | StoreCorruptItemError      | STORE_CORRUPT_ITEM     | no        | an item that no longer parses (e.g. a plan stored by an incompatible version) |
 * | InvalidPageCursorError     | INVALID_PAGE_CURSOR    | no        | a paging cursor that this store did not hand out |
 * | PlanVersionConflictError   | PLAN_VERSION_CONFLICT  | no        | replace with a stale `version` |
 * | PlanExistsError            | PLAN_EXISTS            | no        | create-only on an existing plan |
 * | PlanMissingError           | PLAN_MISSING           | no        | a write that needs the plan, which does not exist (any more) |
 * | PlanRunningError           | PLAN_RUNNING           | no        | delete while a run holds the plan's lock |
 * | LockHeldError              | LOCK_HELD              | no        | another run holds the plan's lock |
 * | LockLostError              | LOCK_LOST              | no        | renew/release by a run that no longer holds the lock |
 * | RunMissingError            | RUN_MISSING            | no        | update of a run that does not exist |
 * | RunNotRunningError         | RUN_NOT_RUNNING        | no        | closing a run that is already closed (a replayed message) |
 * | CursorRegressionError      | CURSOR_REGRESSION      | no        | advancing a cursor to a position behind the stored one |
 * | BindingRaceLostError       | SYNC_BINDING_RACE_LOST | yes       | another worker wrote the order's binding first (its merge is redone) |
 * | ReserveStateTooLargeError  | SYNC_RESERVE_STATE_TOO_LARGE | no  | a plan's reserve state would outgrow its items |
 */
import { AppError, type ErrorContext } from '#platform/errors';

export abstract class StoreError extends AppError {}

export class StoreUnavailableError extends StoreError {
  readonly code = 'STORE_UNAVAILABLE';
  readonly retryable = true;
}

export class StoreRequestError extends StoreError {
  readonly code = 'STORE_REQUEST';
  readonly retryable = false;
}

export class StoreCorruptItemError extends StoreError {
  readonly code = 'STORE_CORRUPT_ITEM';
  readonly retryable = false;
}

export class InvalidPageCursorError extends StoreError {
  readonly code = 'INVALID_PAGE_CURSOR';
  readonly retryable = false;
  constructor() {
    super('Invalid paging cursor: pass the nextCursor of a previous answer unchanged');
  }
}

export class PlanVersionConflictError extends StoreError {
  readonly code = 'PLAN_VERSION_CONFLICT';
  readonly retryable = false;
  /** `expected` is `any` for a replace of whatever version exists */
  constructor(planId: string, expected: number | 'any', actual: number | null) {
    super(
      actual === null
        ? `Plan ${planId} does not exist (expected ${expected === 'any' ? 'a plan to replace' : `version ${expected}`})`
        : `Plan ${planId} is at version ${actual}, not ${expected}: re-read it and apply the change again`,
      { context: { planId, ...(expected === 'any' ? {} : { expectedVersion: expected }), actualVersion: actual } },
    );
  }
}

export class PlanExistsError extends StoreError {
  readonly code = 'PLAN_EXISTS';
  readonly retryable = false;
  constructor(planId: string, version: number) {
    super(`Plan ${planId} already exists (version ${version})`, { context: { planId, version } });
  }
}

export class PlanMissingError extends StoreError {
  readonly code = 'PLAN_MISSING';
  readonly retryable = false;
  constructor(planId: string) {
    super(`Plan ${planId} not found`, { context: { planId } });
  }
}

export class PlanRunningError extends StoreError {
  readonly code = 'PLAN_RUNNING';
  readonly retryable = false;
  constructor(planId: string, runId: string | null) {
    super(`Plan ${planId} has a run in progress${runId ? ` (${runId})` : ''}: delete it when the run has ended`, {
      context: { planId, runId },
    });
  }
}

export class LockHeldError extends StoreError {
  readonly code = 'LOCK_HELD';
  readonly retryable = false;
  readonly holderRunId: string | null;
  constructor(planId: string, holderRunId: string | null, expiresAt: string | null) {
    super(`Plan ${planId} is locked by run ${holderRunId ?? '?'} until ${expiresAt ?? '?'}`, {
      context: { planId, runId: holderRunId, expiresAt },
    });
    this.holderRunId = holderRunId;
  }
}

export class LockLostError extends StoreError {
  readonly code = 'LOCK_LOST';
  readonly retryable = false;
  constructor(planId: string, runId: string, holderRunId: string | null) {
    super(`Run ${runId} no longer holds the lock of plan ${planId}${holderRunId ? ` (held by ${holderRunId})` : ''}`, {
      context: { planId, runId, holderRunId },
    });
  }
}

export class RunMissingError extends StoreError {
  readonly code = 'RUN_MISSING';
  readonly retryable = false;
  constructor(planId: string, runId: string) {
    super(`Run ${runId} of plan ${planId} not found`, { context: { planId, runId } });
  }
}

export class RunNotRunningError extends StoreError {
  readonly code = 'RUN_NOT_RUNNING';
  readonly retryable = false;
  readonly status: string;
  constructor(planId: string, runId: string, status: string) {
    super(`Run ${runId} of plan ${planId} is already ${status}`, { context: { planId, runId, status } });
    this.status = status;
  }
}

export class CursorRegressionError extends StoreError {
  readonly code = 'CURSOR_REGRESSION';
  readonly retryable = false;
  constructor(planId: string, name: string, stored: string, proposed: string) {
    super(`Cursor ${name} of plan ${planId} is at ${stored}; refusing to move it back to ${proposed}`, {
      context: { planId, cursor: name, stored, proposed },
    });
  }
}

const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionInProgressException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** True for an SDK error that is a failed condition (plain or inside a cancelled transaction). */
export function isConditionFailure(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'ConditionalCheckFailedException') return true;
  if (name === 'TransactionCanceledException') {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    return reasons.some((r) => r.Code === 'ConditionalCheckFailed');
  }
  return false;
}

/** Maps an AWS SDK (or network) error to a StoreError; StoreErrors pass through. */
export function toStoreError(error: unknown, operation: string, context: ErrorContext = {}): StoreError {
  if (error instanceof StoreError) return error;
  const e = (error ?? {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const ctx = { ...context, operation, awsError: name, ...(status ? { status } : {}) };
  if (RETRYABLE_NAMES.has(name) || (status !== undefined && status >= 500) || e.$retryable || NETWORK_CODES.has(e.code ?? '')) {
    return new StoreUnavailableError(`DynamoDB ${operation} failed: ${name}`, { cause: error, context: ctx });
  }
  if (status === undefined && !name.endsWith('Exception')) {
    // No HTTP answer at all: a transport failure.
    return new StoreUnavailableError(`DynamoDB ${operation} failed: ${e.message ?? name}`, { cause: error, context: ctx });
  }
  return new StoreRequestError(`DynamoDB ${operation} rejected: ${name}${e.message ? `: ${e.message}` : ''}`, { cause: error, context: ctx });
}

/** Another worker wrote the binding first: our merge was computed from a stale base. */
export class BindingRaceLostError extends StoreError {
  readonly code = 'SYNC_BINDING_RACE_LOST';
  readonly retryable = true;
  constructor(planId: string, orderId: string, options: { cause?: unknown } = {}) {
    super(`order ${orderId}: another exchange of this order recorded its result first; merging again`, { ...options, context: { planId, orderId } });
  }
}

/** The per-product reserve state of a plan would outgrow its DynamoDB items: nothing is written. */
export class ReserveStateTooLargeError extends StoreError {
  readonly code = 'SYNC_RESERVE_STATE_TOO_LARGE';
  readonly retryable = false;
}
