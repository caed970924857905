/**
 * Named cursors of a plan (`PLAN#<id>` / `CURSOR#<name>`), e.g. the Goodwix "changed since"
 * position. A cursor only moves forward: `position` is a sortable string (an ISO instant or a
 * zero-padded sequence) compared by DynamoDB in the write's condition; `value` is what the
 * caller needs to resume (often the same string, or an opaque page token).
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './client.ts';
import { CursorRegressionError, isConditionFailure, toStoreError } from './errors.ts';
import { conditionFailureItem } from './items.ts';
import { keys } from './table.ts';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem'] as const;

export interface Cursor {
  readonly name: string;
  readonly position: string;
  readonly value: string;
  readonly updatedAt: string;
}

export class CursorRepository {
  constructor(private readonly store: StoreContext) {}

  async get(planId: string, name: string): Promise<Cursor | null> {
    try {
      const result = await this.store.client.send(
        new GetCommand({ TableName: this.store.tableName, Key: { pk: keys.planPk(planId), sk: keys.cursorSk(name) }, ConsistentRead: true }),
      );
      const item = result.Item;
      return item
        ? { name, position: String(item['position']), value: String(item['value']), updatedAt: String(item['updatedAt']) }
        : null;
    } catch (error) {
      throw toStoreError(error, 'get cursor', { planId, cursor: name });
    }
  }

  /**
   * Moves the cursor to `position` if that is ahead of the stored one: 'advanced'; the same
   * position is a no-op ('unchanged'); a position behind throws CursorRegressionError.
   */
  async advance(planId: string, name: string, next: { position: string; value?: string }, now: Date = new Date()): Promise<'advanced' | 'unchanged'> {
    try {
      await this.store.client.send(
        new PutCommand({
          TableName: this.store.tableName,
          Item: {
            pk: keys.planPk(planId),
            sk: keys.cursorSk(name),
            planId,
            name,
            position: next.position,
            value: next.value ?? next.position,
            updatedAt: now.toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(#position) OR #position < :position',
          ExpressionAttributeNames: { '#position': 'position' },
          ExpressionAttributeValues: { ':position': next.position },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'advanced';
    } catch (error) {
      if (isConditionFailure(error)) {
        const stored = String(conditionFailureItem(error)?.['position'] ?? '');
        if (stored === next.position) return 'unchanged';
        throw new CursorRegressionError(planId, name, stored, next.position);
      }
      throw toStoreError(error, 'advance cursor', { planId, cursor: name });
    }
  }
}
