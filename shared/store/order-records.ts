/**
 * Access to orders' sync records for the API: the binding items `PLAN#<id>` / `ORDER#<orderId>`
 * that the sync writes (their shape belongs to `#sync`). The API reads one record, lists them by
 * state, and sets an order aside (dismiss) or brings it back (a resync). The two writes touch
 * only the dismissal, the index keys, `updatedAt` and `revision` — never the base snapshot
 * `base`, which only the worker may write (IAM deny `NoBindingWrites`) — and bump `revision`,
 * so a worker saving a merge computed before them loses its race and merges again.
 */
import { GetCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './client.ts';
import { isConditionFailure, toStoreError } from './errors.ts';
import { withoutKeys } from './items.ts';
import { decodeCursor, encodeCursor, pageSize, type Page, type PageRequest } from './paging.ts';
import { keys, STUCK_ORDERS_INDEX, type StuckState } from './table.ts';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] as const;

export const ORDER_STATES = ['parked', 'open', 'dismissed', 'all'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** One line of the orders list: what a person needs to decide, without history or snapshot. */
export interface OrderSummary {
  readonly orderId: string;
  /** dismissed, parked, open (still exchanged), closed */
  readonly state: 'dismissed' | 'parked' | 'open' | 'closed';
  readonly status: string | null;
  readonly onecNumber: string | null;
  readonly parked: { code: string; message: string; since: string; attempts: number; runId: string | null } | null;
  readonly dismissed: { by: string; at: string } | null;
  readonly updatedAt: string | null;
}

export interface OrderRecordReader {
  get(planId: string, orderId: string): Promise<Record<string, unknown> | null>;
  list?(planId: string, state: OrderState, request?: PageRequest): Promise<Page<OrderSummary>>;
  dismiss?(planId: string, orderId: string, by: string, now: Date): Promise<DismissOutcome>;
  undismiss?(planId: string, orderId: string, now: Date): Promise<boolean>;
}

export type DismissOutcome = { readonly result: 'dismissed' | 'already'; readonly record: Record<string, unknown> } | { readonly result: 'missing' } | { readonly result: 'not-parked' };

/** What a list reads of a binding (never `base` or `history`). */
const SUMMARY_ATTRIBUTES = ['orderId', 'onecNumber', 'status', 'open', 'parked', 'dismissed', 'updatedAt'];

function summaryOf(item: Record<string, unknown>): OrderSummary {
  const parked = (item['parked'] as OrderSummary['parked'] | undefined) ?? null;
  const dismissed = (item['dismissed'] as OrderSummary['dismissed'] | undefined) ?? null;
  return {
    orderId: String(item['orderId']),
    state: dismissed ? 'dismissed' : parked ? 'parked' : item['open'] === true ? 'open' : 'closed',
    status: (item['status'] as string | undefined) ?? null,
    onecNumber: (item['onecNumber'] as string | undefined) ?? null,
    parked: parked ? { code: parked.code, message: parked.message, since: parked.since, attempts: parked.attempts, runId: parked.runId ?? null } : null,
    dismissed: dismissed ? { by: dismissed.by, at: dismissed.at } : null,
    updatedAt: (item['updatedAt'] as string | undefined) ?? null,
  };
}

export class DynamoOrderRecordReader implements OrderRecordReader {
  /** `view` turns the stored item into what the API shows (the sync's `syncRecordView`); default: the item without its keys. */
  constructor(
    private readonly store: StoreContext,
    private readonly view: (item: Record<string, unknown>) => Record<string, unknown> = withoutKeys,
  ) {}

  async get(planId: string, orderId: string): Promise<Record<string, unknown> | null> {
    const item = await this.item(planId, orderId);
    return item ? this.view(item) : null;
  }

  private async item(planId: string, orderId: string): Promise<Record<string, unknown> | null> {
    try {
      const result = await this.store.client.send(
        new GetCommand({ TableName: this.store.tableName, Key: { pk: keys.planPk(planId), sk: keys.bindingSk(orderId) }, ConsistentRead: true }),
      );
      return result.Item ?? null;
    } catch (error) {
      throw toStoreError(error, 'get order record', { planId, orderId });
    }
  }

  /**
   * A page of the plan's orders in `state`. Parked and dismissed ones come from the sparse
   * stuck-orders index, oldest first; open and all from the plan's binding items (a filter
   * drops the others, so a page may hold fewer than `limit` items and still have a next one).
   */
  async list(planId: string, state: OrderState, request: PageRequest = {}): Promise<Page<OrderSummary>> {
    const names: Record<string, string> = Object.fromEntries(SUMMARY_ATTRIBUTES.map((a, i) => [`#a${i}`, a]));
    const projection = Object.keys(names).join(', ');
    let input: QueryCommandInput;
    if (state === 'parked' || state === 'dismissed') {
      const pk = keys.stuckOrdersPk(planId);
      const prefix = `${state satisfies StuckState}#`;
      const startKey = decodeCursor(request.cursor, { index: STUCK_ORDERS_INDEX, partition: pk, sortPrefix: prefix });
      input = {
        TableName: this.store.tableName,
        IndexName: STUCK_ORDERS_INDEX.name,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :state)',
        ExpressionAttributeNames: { ...names, '#pk': STUCK_ORDERS_INDEX.partitionKey, '#sk': STUCK_ORDERS_INDEX.sortKey },
        ExpressionAttributeValues: { ':pk': pk, ':state': prefix },
        ProjectionExpression: projection,
        Limit: pageSize(request.limit),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      };
    } else {
      const pk = keys.planPk(planId);
      const prefix = keys.bindingSk('');
      const startKey = decodeCursor(request.cursor, { partition: pk, sortPrefix: prefix });
      input = {
        TableName: this.store.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeNames: { ...names, ...(state === 'open' ? { '#open': 'open', '#dismissed': 'dismissed' } : {}) },
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix, ...(state === 'open' ? { ':true': true, ':null': 'NULL' } : {}) },
        ...(state === 'open' ? { FilterExpression: '#open = :true AND (attribute_not_exists(#dismissed) OR attribute_type(#dismissed, :null))' } : {}),
        ProjectionExpression: projection,
        Limit: pageSize(request.limit),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      };
    }
    try {
      const result = await this.store.client.send(new QueryCommand(input));
      const nextCursor = encodeCursor(result.LastEvaluatedKey);
      return { items: (result.Items ?? []).map(summaryOf), ...(nextCursor ? { nextCursor } : {}) };
    } catch (error) {
      throw toStoreError(error, 'list order records', { planId, state });
    }
  }

  /** Sets a parked order aside: out of the open index (no run retries it), listed as dismissed, who and when kept. */
  async dismiss(planId: string, orderId: string, by: string, now: Date): Promise<DismissOutcome> {
    for (let attempt = 0; ; attempt += 1) {
      const item = await this.item(planId, orderId);
      if (!item) return { result: 'missing' };
      if (item['dismissed']) return { result: 'already', record: this.view(item) };
      if (!item['parked']) return { result: 'not-parked' };
      const at = now.toISOString();
      try {
        const result = await this.store.client.send(
          new UpdateCommand({
            TableName: this.store.tableName,
            Key: { pk: keys.planPk(planId), sk: keys.bindingSk(orderId) },
            UpdateExpression: 'SET #dismissed = :dismissed, gsi3pk = :spk, gsi3sk = :ssk, updatedAt = :now ADD #revision :one REMOVE gsi2pk, gsi2sk',
            ConditionExpression: '#revision = :revision',
            ExpressionAttributeNames: { '#dismissed': 'dismissed', '#revision': 'revision' },
            ExpressionAttributeValues: {
              ':dismissed': { by, at },
              ':spk': keys.stuckOrdersPk(planId),
              ':ssk': keys.stuckOrderSk('dismissed', at, orderId),
              ':now': at,
              ':one': 1,
              ':revision': item['revision'],
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { result: 'dismissed', record: this.view(result.Attributes ?? {}) };
      } catch (error) {
        // The worker saved the binding meanwhile: read it again (it may no longer be parked).
        if (isConditionFailure(error) && attempt < 4) continue;
        throw toStoreError(error, 'dismiss order', { planId, orderId });
      }
    }
  }

  /** Brings a dismissed order back (a resync): open index and parked listing as before. False if it was not dismissed. */
  async undismiss(planId: string, orderId: string, now: Date): Promise<boolean> {
    for (let attempt = 0; ; attempt += 1) {
      const item = await this.item(planId, orderId);
      if (!item?.['dismissed']) return false;
      const parked = item['parked'] as { since: string } | null | undefined;
      const set = ['updatedAt = :now', ...(item['open'] === true ? ['gsi2pk = :opk', 'gsi2sk = :osk'] : []), ...(parked ? ['gsi3sk = :ssk'] : [])];
      const remove = ['#dismissed', ...(parked ? [] : ['gsi3pk', 'gsi3sk'])];
      try {
        await this.store.client.send(
          new UpdateCommand({
            TableName: this.store.tableName,
            Key: { pk: keys.planPk(planId), sk: keys.bindingSk(orderId) },
            UpdateExpression: `SET ${set.join(', ')} ADD #revision :one REMOVE ${remove.join(', ')}`,
            ConditionExpression: '#revision = :revision',
            ExpressionAttributeNames: { '#dismissed': 'dismissed', '#revision': 'revision' },
            ExpressionAttributeValues: {
              ':now': now.toISOString(),
              ':one': 1,
              ':revision': item['revision'],
              ...(item['open'] === true ? { ':opk': keys.openBindingsPk(planId), ':osk': orderId } : {}),
              ...(parked ? { ':ssk': keys.stuckOrderSk('parked', parked.since, orderId) } : {}),
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error) && attempt < 4) continue;
        throw toStoreError(error, 'bring back order', { planId, orderId });
      }
    }
  }
}
