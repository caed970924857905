/**
 * Errors of the Goodwix client. Each carries a stable `code`, whether retrying may help, and a
 * context that locates the fault (method, path, HTTP status, Goodwix's error code, field) —
 * never the password or the token.
 */
import { AppError, type ErrorContext } from '#platform/errors';

export abstract class GoodwixError extends AppError {}

/** Wrong e-mail or password, or a token refused even right after logging in again. */
export class GoodwixAuthError extends GoodwixError {
  readonly code = 'GOODWIX_AUTH_FAILED';
  readonly retryable = false;
}

/** The catalog, order, product, buyer or price list does not exist. */
export class GoodwixNotFoundError extends GoodwixError {
  readonly code = 'GOODWIX_NOT_FOUND';
  readonly retryable = false;
}

/** Goodwix found the request malformed (400): a bug on our side, repeating will not help. */
export class GoodwixInvalidRequestError extends GoodwixError {
  readonly code = 'GOODWIX_INVALID_REQUEST';
  readonly retryable = false;
}

/** The change breaks a Goodwix rule (422): unknown product or line, a status it cannot take… */
export class GoodwixValidationError extends GoodwixError {
  readonly code = 'GOODWIX_VALIDATION_FAILED';
  readonly retryable = false;
}

/** The order is in a state that does not allow the change (409 other than a stale version). */
export class GoodwixOrderStateError extends GoodwixError {
  readonly code = 'GOODWIX_ORDER_STATE';
  readonly retryable = false;
}

/** The order changed since the version the update was computed from: re-read and merge again. */
export class GoodwixVersionConflictError extends GoodwixError {
  readonly code = 'GOODWIX_VERSION_CONFLICT';
  readonly retryable = true;
  constructor(
    readonly orderId: number,
    readonly expectedVersion: number,
    readonly currentVersion: number | null,
    options: { cause?: unknown; context?: ErrorContext } = {},
  ) {
    super(`Goodwix order ${orderId} is at version ${currentVersion ?? 'unknown'}, the update was computed from version ${expectedVersion}`, {
      ...options,
      context: { ...options.context, orderId, expectedVersion, currentVersion },
    });
  }
}

/** 429 that outlasted the retries, or asked to wait longer than the client may. */
export class GoodwixRateLimitedError extends GoodwixError {
  readonly code = 'GOODWIX_RATE_LIMITED';
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
    options: { cause?: unknown; context?: ErrorContext } = {},
  ) {
    super(message, options);
  }
}

/** 5xx that outlasted the retries (or was not retried: the call was not idempotent). */
export class GoodwixUnavailableError extends GoodwixError {
  readonly code = 'GOODWIX_UNAVAILABLE';
  readonly retryable = true;
}

/** No answer within the timeout. */
export class GoodwixTimeoutError extends GoodwixError {
  readonly code = 'GOODWIX_TIMEOUT';
  readonly retryable = true;
}

/** The client was made with an argument it cannot work with (a base URL that is no http(s) URL, or carries credentials). */
export class GoodwixInvalidArgumentError extends GoodwixError {
  readonly code = 'GOODWIX_INVALID_ARGUMENT';
  readonly retryable = false;
}

/** The connection failed (refused, reset, DNS). */
export class GoodwixNetworkError extends GoodwixError {
  readonly code = 'GOODWIX_NETWORK';
  readonly retryable = true;
}

/** An answer that is not what the contract says (not JSON, a field missing or of another type). */
export class GoodwixResponseError extends GoodwixError {
  readonly code = 'GOODWIX_BAD_RESPONSE';
  readonly retryable = false;
}
