/** Small helpers shared by the repositories. */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { KEY_ATTRIBUTES } from './table.ts';

const KEY_SET = new Set<string>(KEY_ATTRIBUTES);

/** The item without the table's own key attributes. */
export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !KEY_SET.has(k)));
}

/** The old item a failed condition returned (ReturnValuesOnConditionCheckFailure: ALL_OLD), unmarshalled. */
export function conditionFailureItem(error: unknown, index = 0): Record<string, unknown> | null {
  const e = error as { Item?: Record<string, AttributeValue>; CancellationReasons?: { Item?: Record<string, AttributeValue> }[] };
  const raw = e.CancellationReasons ? e.CancellationReasons[index]?.Item : e.Item;
  return raw ? unmarshall(raw) : null;
}

/** Which items of a cancelled transaction failed their condition. */
export function failedConditions(error: unknown): boolean[] {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code === 'ConditionalCheckFailed');
}

export function isTransactionConflict(error: unknown): boolean {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  return (
    e?.name === 'TransactionConflictException' ||
    (e?.name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict'))
  );
}

/** Runs a transactional write, retrying a few times when DynamoDB reports a transaction conflict. */
export async function withConflictRetry<T>(attempt: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransactionConflict(error) || i >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * i + Math.random() * 40));
    }
  }
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
