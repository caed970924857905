/**
 * Errors of the order sync. Permanent ones park the order with a message that names the
 * culprit (product, buyer, VAT rate, 1C's own words); retryable ones go back to the queue.
 */
import { AppError, type ErrorContext } from '#platform/errors';

export abstract class SyncError extends AppError {}

/** The order cannot be expressed on the other side until someone fixes data. Parks the order. */
export abstract class OrderMappingError extends SyncError {
  readonly retryable = false;
}

export class UnmappedProductError extends OrderMappingError {
  readonly code = 'SYNC_UNMAPPED_PRODUCT';
}

export class UnmatchedBuyerError extends OrderMappingError {
  readonly code = 'SYNC_UNMATCHED_BUYER';
}

export class UnknownVatRateError extends OrderMappingError {
  readonly code = 'SYNC_UNKNOWN_VAT_RATE';
}

export class MissingContractError extends OrderMappingError {
  readonly code = 'SYNC_NO_CONTRACT';
}

/**
 * A 1C reference of the plan given by name that no plan check has resolved to a Ref_Key yet.
 * Runs never look a name up themselves (a name may match another item tomorrow): the plan
 * check resolves it and stores the Ref_Key.
 */
export class UnresolvedPlanRefError extends OrderMappingError {
  readonly code = 'ONEC_REF_UNRESOLVED';
}

export class InvalidOrderError extends OrderMappingError {
  readonly code = 'SYNC_INVALID_ORDER';
}

/**
 * A line's quantity, price or amount that 1C's field cannot hold exactly (UT's Число(15,2) for
 * amounts): sending it would store another number, so the order waits for a person.
 */
export class ValueOutOfRangeError extends OrderMappingError {
  readonly code = 'SYNC_VALUE_OUT_OF_RANGE';
}

/** More than one 1C order carries the stable key: someone copied it; a person must decide. */
export class DuplicateOneCOrderError extends OrderMappingError {
  readonly code = 'SYNC_DUPLICATE_IN_1C';
}

/** The bound 1C document is gone (deleted outright, not marked): nothing to sync against. */
export class OneCOrderMissingError extends OrderMappingError {
  readonly code = 'SYNC_1C_ORDER_MISSING';
}

/**
 * An order's last delivery came with less time left than an exchange may need: started, it could
 * outrun the invocation and its message go to the DLQ uncounted. Parked instead (`retryable`:
 * nothing is wrong with the order), so the run counts it and the next run exchanges it.
 */
export class NoTimeLeftError extends SyncError {
  readonly code = 'SYNC_NO_TIME_LEFT';
  readonly retryable = true;
  constructor(orderId: string, leftMs: number, marginMs: number) {
    super(
      `order ${orderId}: not started on its last delivery, ${Math.round(leftMs / 1000)} s left of the invocation (an exchange may need ${Math.round(marginMs / 1000)} s); the next run exchanges it`,
      { context: { orderId, leftMs, marginMs } },
    );
  }
}

/** 1C changed the order between our read and our write: merge again from fresh data. */
export class StaleOneCReadError extends SyncError {
  readonly code = 'SYNC_STALE_1C_READ';
  readonly retryable = true;
  constructor(orderId: string, context: ErrorContext = {}) {
    super(`order ${orderId}: 1C changed it while it was being merged; merging again`, { context: { orderId, ...context } });
  }
}
