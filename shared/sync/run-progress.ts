/**
 * How far a run's orders have got, so that the run closes exactly once, when its last order is
 * done. On the run item: `queued` (orders put on the queue), `done` (orders finished, whatever
 * the outcome), `collected` (the collector finished queuing), `finalizing` (claimed by whoever
 * closes the run), `pendingCursor` (where the Goodwix feed resumes once the run closes) and
 * `products` (whose reserves to refresh). Per order, the `RUNORDER#<runId>#<orderId>` item goes
 * from `queued` to `done` in the same transaction that adds the order's counters, so a
 * redelivered message never counts twice.
 */
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from '#store/client';
import { isConditionFailure, toStoreError } from '#store/errors';
import { epochSeconds, withConflictRetry } from '#store/items';
import { DEFAULT_RUN_RETENTION_DAYS, type RunCounters } from '#store/runs';
import { keys } from '#store/table';

export interface RunProgress {
  readonly queued: number;
  readonly done: number;
  readonly collected: boolean;
  readonly finalizing: boolean;
  readonly finalizingAt: string | null;
  readonly status: string;
  readonly pendingCursor: string | null;
  readonly products: readonly string[];
}

export interface OrderDone {
  readonly orderId: string;
  readonly outcome: string;
  readonly at: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly detail?: Readonly<Record<string, string | number | boolean | null>>;
  readonly counters: Partial<RunCounters>;
  /** `nomenclature/characteristic/goodwixProductId` of products whose reserves may have moved */
  readonly products: readonly string[];
}

export class RunProgressRepository {
  readonly #retentionS: number;

  constructor(private readonly store: StoreContext, options: { retentionDays?: number } = {}) {
    this.#retentionS = (options.retentionDays ?? DEFAULT_RUN_RETENTION_DAYS) * 86_400;
  }

  private runKey(planId: string, runId: string) {
    return { pk: keys.planPk(planId), sk: keys.runSk(runId) };
  }

  async get(planId: string, runId: string): Promise<RunProgress | null> {
    try {
      const { Item } = await this.store.client.send(new GetCommand({ TableName: this.store.tableName, Key: this.runKey(planId, runId), ConsistentRead: true }));
      if (!Item) return null;
      return {
        queued: Number(Item.queued ?? 0),
        done: Number(Item.done ?? 0),
        collected: Item.collected === true,
        finalizing: Item.finalizing !== undefined,
        finalizingAt: (Item.finalizingAt as string | undefined) ?? null,
        status: String(Item.status),
        pendingCursor: (Item.pendingCursor as string | undefined) ?? null,
        products: [...((Item.products as Set<string> | undefined) ?? [])],
      };
    } catch (error) {
      throw toStoreError(error, 'get run progress', { planId, runId });
    }
  }

  /**
   * Registers an order of the run before its message is sent: true when it is new to the run
   * (count it and send), false when a retried collector registered it already.
   */
  async register(planId: string, runId: string, orderId: string, now: Date): Promise<boolean> {
    try {
      await withConflictRetry(() =>
        this.store.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.store.tableName,
                  Item: { pk: keys.planPk(planId), sk: keys.runOrderSk(runId, orderId), planId, runId, orderId, state: 'queued', outcome: 'queued', at: now.toISOString(), ttl: epochSeconds(now) + this.#retentionS },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              { Update: { TableName: this.store.tableName, Key: this.runKey(planId, runId), UpdateExpression: 'ADD queued :one', ExpressionAttributeValues: { ':one': 1 } } },
            ],
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'register run order', { planId, runId, orderId });
    }
  }

  /** The collector queued everything: from now on the run may close when done reaches queued. */
  async markCollected(planId: string, runId: string, pendingCursor: string | null): Promise<void> {
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: this.runKey(planId, runId),
          UpdateExpression: pendingCursor ? 'SET collected = :t, pendingCursor = :c' : 'SET collected = :t',
          ExpressionAttributeValues: { ':t': true, ...(pendingCursor ? { ':c': pendingCursor } : {}) },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      throw toStoreError(error, 'mark run collected', { planId, runId });
    }
  }

  /**
   * Records an order's outcome and counts it, once: false when the order was already done in
   * this run (a redelivered message), was never registered, or its run is gone.
   */
  async complete(planId: string, runId: string, done: OrderDone): Promise<boolean> {
    const counters = Object.entries(done.counters).filter(([, n]) => (n ?? 0) > 0);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':one': 1 };
    const adds = ['done :one'];
    counters.forEach(([name, n], i) => {
      names[`#c${i}`] = name;
      values[`:c${i}`] = n;
      adds.push(`counters.#c${i} :c${i}`);
    });
    if (done.products.length) {
      adds.push('products :products');
      values[':products'] = new Set(done.products);
    }
    try {
      await withConflictRetry(() =>
        this.store.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.store.tableName,
                  Key: { pk: keys.planPk(planId), sk: keys.runOrderSk(runId, done.orderId) },
                  UpdateExpression: 'SET #state = :done, outcome = :outcome, #at = :at, #error = :error, detail = :detail',
                  ConditionExpression: '#state = :queued',
                  ExpressionAttributeNames: { '#state': 'state', '#at': 'at', '#error': 'error' },
                  ExpressionAttributeValues: { ':done': 'done', ':queued': 'queued', ':outcome': done.outcome, ':at': done.at, ':error': done.error ?? null, ':detail': done.detail ?? {} },
                },
              },
              {
                Update: {
                  TableName: this.store.tableName,
                  Key: this.runKey(planId, runId),
                  UpdateExpression: `ADD ${adds.join(', ')}`,
                  // A message of a run that is gone (expired, or never written) counts nowhere.
                  ConditionExpression: 'attribute_exists(pk)',
                  ...(counters.length ? { ExpressionAttributeNames: names } : {}),
                  ExpressionAttributeValues: values,
                },
              },
            ],
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'complete run order', { planId, runId, orderId: done.orderId });
    }
  }

  /**
   * Claims the closing of a run whose orders are all done: true for exactly one caller. A claim
   * older than `staleAfterMs` (its holder crashed while closing) can be taken over.
   */
  async claimFinalize(planId: string, runId: string, claimant: string, now: Date, staleAfterMs = 5 * 60_000): Promise<boolean> {
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: this.runKey(planId, runId),
          UpdateExpression: 'SET finalizing = :who, finalizingAt = :now',
          ConditionExpression:
            '(attribute_not_exists(finalizing) OR finalizingAt < :stale) AND collected = :t AND #status = :running AND (attribute_not_exists(queued) OR done >= queued)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':who': claimant, ':t': true, ':running': 'running', ':now': now.toISOString(), ':stale': new Date(now.getTime() - staleAfterMs).toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'claim run finalize', { planId, runId });
    }
  }
}
