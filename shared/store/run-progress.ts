/**
 * How far a run's orders have got, so that the run closes exactly once, when its last order is
 * done. On the run item: `queued` (orders put on the queue), `done` (orders finished, whatever
 * the outcome), `collected` (the collector finished queuing), `finalizing` (claimed by whoever
 * closes the run, `handoff` while a continuation message is on its way), `pendingCursor` (where
 * the Goodwix feed resumes once the run closes), `reservesAfter` / `reservesPushed` (how far the
 * finalize got through the run's products), `reservesReconciled` (products the reconciliation pushed). Per order, the `RUNORDER#<runId>#<orderId>` item
 * goes from `queued` to `done` in the same transaction that adds the order's counters, so a
 * redelivered message never counts twice. The products whose reserves the run refreshes are
 * items of their own, `RUNPRODUCT#<runId>#<product>`, written before the order counts as done:
 * the run item stays small however many products a run touches.
 */
import { BatchWriteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { cutText } from '#platform/limits';
import { mapLimited } from '#platform/concurrency';
import type { StoreContext } from './client.ts';
import { isConditionFailure, toStoreError } from './errors.ts';
import { epochSeconds, withConflictRetry } from './items.ts';
import { DEFAULT_RUN_RETENTION_DAYS, type RunCounters } from './runs.ts';
import { keys } from './table.ts';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] as const;

export interface RunProgress {
  readonly queued: number;
  readonly done: number;
  readonly collected: boolean;
  readonly finalizing: boolean;
  readonly finalizingAt: string | null;
  readonly status: string;
  readonly pendingCursor: string | null;
  /** The last product whose reserves the finalize pushed (products are read in key order) */
  readonly reservesAfter: string | null;
  /** Products whose reserves the finalize pushed so far */
  readonly reservesPushed: number;
  /** Products whose reserves the run's reconciliation pushed so far (they differed from the state) */
  readonly reservesReconciled: number;
  /** Products a run started before the upgrade recorded in a set on its run item */
  readonly legacyProducts: readonly string[];
}

/** `finalizing` while a continuation message carries the finalize on: whoever gets it first takes over. */
export const FINALIZE_HANDOFF = 'handoff';

/** One page of a run's products, in key order. */
export interface ProductPage {
  readonly products: readonly string[];
  /** The page's last product: where the next page starts */
  readonly last: string | null;
  readonly more: boolean;
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

  constructor(readonly store: StoreContext, options: { retentionDays?: number } = {}) {
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
        reservesAfter: (Item.reservesAfter as string | undefined) ?? null,
        reservesPushed: Number(Item.reservesPushed ?? 0),
        reservesReconciled: Number(Item.reservesReconciled ?? 0),
        legacyProducts: [...((Item.products as Set<string> | undefined) ?? [])],
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
   * Records products whose reserves the run refreshes: one item each, idempotent (a product
   * two orders touched, or a redelivered message, writes the same item again).
   */
  async recordProducts(planId: string, runId: string, products: readonly string[], now: Date): Promise<void> {
    const ttl = epochSeconds(now) + this.#retentionS;
    const unique = [...new Set(products)];
    const batches: string[][] = [];
    for (let i = 0; i < unique.length; i += 25) batches.push(unique.slice(i, i + 25));
    // A few batches at once: an order of a thousand products is 40 of them.
    await mapLimited(batches, 4, async (batch) => {
      let requests: Record<string, unknown>[] = batch.map((product) => ({ PutRequest: { Item: { pk: keys.planPk(planId), sk: keys.runProductSk(runId, product), ttl } } }));
      for (let attempt = 1; requests.length > 0; attempt += 1) {
        try {
          const result = await this.store.client.send(new BatchWriteCommand({ RequestItems: { [this.store.tableName]: requests as never } }));
          requests = (result.UnprocessedItems?.[this.store.tableName] as Record<string, unknown>[] | undefined) ?? [];
        } catch (error) {
          throw toStoreError(error, 'record run products', { planId, runId });
        }
        if (requests.length > 0) {
          if (attempt >= 8) throw toStoreError(new Error(`${requests.length} product item(s) left unprocessed`), 'record run products', { planId, runId });
          // Throttled writes come back unprocessed: wait a little, then write them again.
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
        }
      }
    });
  }

  /** A page of the run's products after `after` (from the first when null), in key order. */
  async productsPage(planId: string, runId: string, after: string | null, limit: number): Promise<ProductPage> {
    try {
      const result = await this.store.client.send(
        new QueryCommand({
          TableName: this.store.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.planPk(planId), ':prefix': keys.runProductPrefix(runId) },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
          Limit: limit,
          ...(after !== null ? { ExclusiveStartKey: { pk: keys.planPk(planId), sk: keys.runProductSk(runId, after) } } : {}),
        }),
      );
      const prefix = keys.runProductPrefix(runId);
      const products = (result.Items ?? []).map((item) => String(item.sk).slice(prefix.length));
      return { products, last: products.at(-1) ?? null, more: result.LastEvaluatedKey !== undefined };
    } catch (error) {
      throw toStoreError(error, 'read run products', { planId, runId });
    }
  }

  /**
   * Records that the finalize pushed the reserves of the products up to `last`: false when the
   * claim is no longer `claimant`'s (a stale claim taken over), so the finalize stops.
   */
  async recordReserves(planId: string, runId: string, claimant: string, last: string, pushed: number, now: Date): Promise<boolean> {
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: this.runKey(planId, runId),
          UpdateExpression: 'SET reservesAfter = :last, finalizingAt = :now ADD reservesPushed :n',
          ConditionExpression: 'finalizing = :me',
          ExpressionAttributeValues: { ':last': last, ':now': now.toISOString(), ':n': pushed, ':me': claimant },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'record run reserves', { planId, runId });
    }
  }

  /**
   * Counts products the reconciliation pushed (`reservesReconciled`): false when the claim is no
   * longer `claimant`'s, so the finalize stops.
   */
  async recordReconciled(planId: string, runId: string, claimant: string, pushed: number, now: Date): Promise<boolean> {
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: this.runKey(planId, runId),
          UpdateExpression: 'SET finalizingAt = :now ADD reservesReconciled :n',
          ConditionExpression: 'finalizing = :me',
          ExpressionAttributeValues: { ':now': now.toISOString(), ':n': pushed, ':me': claimant },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'record run reserves reconciled', { planId, runId });
    }
  }

  /**
   * Gives the claim up to a continuation message (`finalizing = handoff`): whoever next calls
   * the finalize takes it over at once and goes on from `reservesAfter`. False when the claim
   * was no longer `claimant`'s.
   */
  async handOff(planId: string, runId: string, claimant: string, now: Date): Promise<boolean> {
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: this.runKey(planId, runId),
          UpdateExpression: 'SET finalizing = :handoff, finalizingAt = :now ADD finalizeHandoffs :one',
          ConditionExpression: 'finalizing = :me',
          ExpressionAttributeValues: { ':handoff': FINALIZE_HANDOFF, ':now': now.toISOString(), ':me': claimant, ':one': 1 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'hand off run finalize', { planId, runId });
    }
  }

  /**
   * Records an order's outcome and counts it, once: false when the order was already done in
   * this run (a redelivered message), was never registered, or its run is gone. Its products are
   * recorded first, so the run cannot close before they are; its texts are cut to a bound.
   */
  async complete(planId: string, runId: string, done: OrderDone): Promise<boolean> {
    if (done.products.length) await this.recordProducts(planId, runId, done.products, new Date(done.at));
    const counters = Object.entries(done.counters).filter(([, n]) => (n ?? 0) > 0);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':one': 1 };
    const adds = ['done :one'];
    counters.forEach(([name, n], i) => {
      names[`#c${i}`] = name;
      values[`:c${i}`] = n;
      adds.push(`counters.#c${i} :c${i}`);
    });
    const error = done.error ? { code: done.error.code, message: cutText(done.error.message) } : null;
    const detail = Object.fromEntries(Object.entries(done.detail ?? {}).map(([k, v]) => [k, typeof v === 'string' ? cutText(v) : v]));
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
                  ExpressionAttributeValues: { ':done': 'done', ':queued': 'queued', ':outcome': done.outcome, ':at': done.at, ':error': error, ':detail': detail },
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
   * handed off to a continuation message, or older than `staleAfterMs` (its holder crashed while
   * closing), can be taken over; the finalize then goes on from `reservesAfter`.
   */
  async claimFinalize(planId: string, runId: string, claimant: string, now: Date, staleAfterMs = 5 * 60_000): Promise<boolean> {
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: this.runKey(planId, runId),
          UpdateExpression: 'SET finalizing = :who, finalizingAt = :now',
          ConditionExpression:
            '(attribute_not_exists(finalizing) OR finalizing = :handoff OR finalizingAt < :stale) AND collected = :t AND #status = :running AND (attribute_not_exists(queued) OR done >= queued)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':who': claimant, ':handoff': FINALIZE_HANDOFF, ':t': true, ':running': 'running', ':now': now.toISOString(), ':stale': new Date(now.getTime() - staleAfterMs).toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'claim run finalize', { planId, runId });
    }
  }
}
