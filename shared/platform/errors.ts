/**
 * What every module's errors have in common, so that the worker can decide between
 * "throw so SQS retries" and "park the order with its reason" without knowing the module.
 *
 * Each module declares one base error extending this (OneCError, GoodwixError, PlanError, …)
 * and subclasses ending in `Error` with a stable `code`.
 */
export type ErrorContext = Readonly<Record<string, string | number | boolean | null | undefined>>;

export abstract class AppError extends Error {
  /** Stable, machine-readable code, e.g. `ONEC_NOT_FOUND`. Never reworded once shipped. */
  abstract readonly code: string;
  /** True when repeating the same operation later may succeed (network, 5xx, throttling, lost race). */
  abstract readonly retryable: boolean;
  /** Identifiers that locate the fault (entity, field, product, buyer). No secrets or personal data. */
  readonly context: ErrorContext;

  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
  }

  toJSON(): { code: string; message: string; retryable: boolean; context: ErrorContext } {
    return { code: this.code, message: this.message, retryable: this.retryable, context: this.context };
  }
}

/** Whether an error of any origin is worth retrying: unknown errors are, since they are usually I/O. */
export function isRetryable(error: unknown): boolean {
  return error instanceof AppError ? error.retryable : true;
}
