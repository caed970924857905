/**
 * Read access to an order's sync record: the binding item `PLAN#<id>` / `ORDER#<orderId>`
 * that the sync writes (its shape belongs to `#sync`). The API shows it without the table's
 * key attributes; until the sync writes bindings, every order answers "not found".
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './client.ts';
import { toStoreError } from './errors.ts';
import { withoutKeys } from './items.ts';
import { keys } from './table.ts';

export interface OrderRecordReader {
  get(planId: string, orderId: string): Promise<Record<string, unknown> | null>;
}

export class DynamoOrderRecordReader implements OrderRecordReader {
  /** `view` turns the stored item into what the API shows (the sync's `syncRecordView`); default: the item without its keys. */
  constructor(
    private readonly store: StoreContext,
    private readonly view: (item: Record<string, unknown>) => Record<string, unknown> = withoutKeys,
  ) {}

  async get(planId: string, orderId: string): Promise<Record<string, unknown> | null> {
    try {
      const result = await this.store.client.send(
        new GetCommand({ TableName: this.store.tableName, Key: { pk: keys.planPk(planId), sk: keys.bindingSk(orderId) }, ConsistentRead: true }),
      );
      return result.Item ? this.view(result.Item) : null;
    } catch (error) {
      throw toStoreError(error, 'get order record', { planId, orderId });
    }
  }
}
