/**
 * A run's items, written here alone: the run item `PLAN#<id>` / `RUN#<runId>` (run ids sort by
 * start time, so the newest come first in a descending Query), its per-order entries
 * `RUNORDER#<runId>#<orderId>`, and the products whose reserves it refreshes,
 * `RUNPRODUCT#<runId>#<product>` (items of their own, so the run item stays small however many
 * products a run touches). Everything expires by TTL after the retention period; the run events
 * are derived from these items' changes (`#exchange/run-events`).
 *
 * The run item carries the journal (counters updated atomically with `ADD`, run-level problems
 * as a bounded list, their total kept apart) and how far the run has got, so that it closes
 * exactly once, when its last order is done: `queued` (orders put on the queue), `done` (orders
 * finished, whatever the outcome), `collected` (the collector finished queuing), `finalizing`
 * (claimed by whoever closes the run, `handoff` while a continuation message is on its way),
 * `pendingCursor` (where the Goodwix feed resumes once the run closes), `reservesAfter` /
 * `reservesPushed` (how far the finalize got through the run's products), `reservesReconciled`
 * (products the reconciliation pushed). An order entry goes from `queued` to `done` in the same
 * transaction that adds the order's counters, so a redelivered message never counts twice; its
 * products are written before, so the run cannot close before they are.
 */
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { cutText } from '#platform/limits';
import { mapLimited } from '#platform/concurrency';
import type { StoreContext } from './client.ts';
import { RunMissingError, RunNotRunningError, isConditionFailure, toStoreError } from './errors.ts';
import { conditionFailureItem, epochSeconds, withConflictRetry, withoutKeys } from './items.ts';
import { decodeCursor, encodeCursor, pageSize, type Page, type PageRequest } from './paging.ts';
import { keys } from './table.ts';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] as const;

export const RUN_TRIGGERS = ['schedule', 'manual', 'resync'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/**
 * `completed`: every order went through and the reserves were refreshed; `attention`: the run
 * ended but left work for a person (orders parked, reserves not refreshed); `failed`: the run
 * itself could not be done (plan check, collection, queue, abandoned).
 */
export const RUN_STATUSES = ['running', 'completed', 'attention', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type RunEndStatus = Exclude<RunStatus, 'running'>;

/** The run journal's counters: orders exported to 1C, updated each way, conflicts 1C won, orders that failed. */
export const RUN_COUNTERS = ['exported', 'updatedInOneC', 'updatedInGoodwix', 'conflicts', 'failed'] as const;
export type RunCounter = (typeof RUN_COUNTERS)[number];
export type RunCounters = Record<RunCounter, number>;

/** A run-level problem (plan check, collection); per-order errors are `RunOrderEntry` items. */
export interface RunProblem {
  readonly code: string;
  readonly message: string;
  /** What the problem is about, e.g. "Склад 5a1f0e2c-…" or "Goodwix login" */
  readonly subject?: string;
}

export interface RunRecord {
  readonly planId: string;
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly endedAt?: string;
  /** The schedule slot that started it (trigger `schedule`) */
  readonly slot?: string;
  /** The order a resync was requested for (trigger `resync`) */
  readonly orderId?: string;
  readonly counters: RunCounters;
  /** The first MAX_RUN_ERRORS run-level problems */
  readonly errors: RunProblem[];
  /** How many run-level problems there were in all */
  readonly errorCount: number;
  readonly summary?: string;
}

/** One order's outcome in a run. `outcome` is the sync's word: exported, updated, unchanged, conflict, failed, … */
export interface RunOrderEntry {
  readonly orderId: string;
  readonly outcome: string;
  readonly at: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly detail?: Readonly<Record<string, unknown>>;
}

export const MAX_RUN_ERRORS = 50;
export const DEFAULT_RUN_RETENTION_DAYS = 90;

const zeroCounters = (): RunCounters => Object.fromEntries(RUN_COUNTERS.map((c) => [c, 0])) as RunCounters;

function runFromItem(item: Record<string, unknown>): RunRecord {
  const rest = withoutKeys(item) as unknown as RunRecord;
  return { ...rest, counters: { ...zeroCounters(), ...(rest.counters ?? {}) }, errors: rest.errors ?? [] };
}

export interface NewRun {
  readonly planId: string;
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly startedAt: Date;
  readonly slot?: string;
  readonly orderId?: string;
  /** Products whose reserves an abandoned run was to refresh: this run refreshes them instead */
  readonly products?: readonly string[];
}

export interface RunProgress {
  readonly queued: number;
  readonly done: number;
  readonly collected: boolean;
  readonly status: string;
  readonly pendingCursor: string | null;
  /** The last product whose reserves the finalize pushed (products are read in key order) */
  readonly reservesAfter: string | null;
  /** Products whose reserves the finalize pushed so far */
  readonly reservesPushed: number;
  /** Products whose reserves the run's reconciliation pushed so far (they differed from the state) */
  readonly reservesReconciled: number;
  /**
   * Products kept in a set on the run item: those an abandoned run handed to this run when it
   * started (bounded), or a run's own from before the products became items of their own
   */
  readonly productSet: readonly string[];
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

/** What a writer adds to a running run: problems (a bounded list; `errorCount` counts all) and counters. */
export interface RunAdditions {
  readonly problems?: readonly RunProblem[];
  readonly counters?: Partial<RunCounters>;
}

export class RunRepository {
  readonly #retentionS: number;

  constructor(
    private readonly store: StoreContext,
    options: { retentionDays?: number } = {},
  ) {
    this.#retentionS = (options.retentionDays ?? DEFAULT_RUN_RETENTION_DAYS) * 86_400;
  }

  async create(run: NewRun): Promise<RunRecord> {
    const record: RunRecord = {
      planId: run.planId,
      runId: run.runId,
      trigger: run.trigger,
      status: 'running',
      startedAt: run.startedAt.toISOString(),
      ...(run.slot ? { slot: run.slot } : {}),
      ...(run.orderId ? { orderId: run.orderId } : {}),
      counters: zeroCounters(),
      errors: [],
      errorCount: 0,
    };
    try {
      await this.store.client.send(
        new PutCommand({
          TableName: this.store.tableName,
          Item: {
            pk: keys.planPk(run.planId), sk: keys.runSk(run.runId), ...record, ttl: epochSeconds(run.startedAt) + this.#retentionS,
            ...(run.products?.length ? { products: new Set(run.products) } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return record;
    } catch (error) {
      throw toStoreError(error, 'create run', { planId: run.planId, runId: run.runId });
    }
  }

  /**
   * Up to `limit` of the products whose reserves a run was to refresh (its `RUNPRODUCT#` items,
   * and the set older runs kept on their item): what an abandoned run hands to the next.
   */
  async products(planId: string, runId: string, limit: number): Promise<string[]> {
    const out = new Set<string>();
    try {
      const run = await this.store.client.send(
        new GetCommand({ TableName: this.store.tableName, Key: { pk: keys.planPk(planId), sk: keys.runSk(runId) }, ProjectionExpression: 'products', ConsistentRead: true }),
      );
      for (const p of (run.Item?.products as Set<string> | undefined) ?? []) if (out.size < limit) out.add(p);
      const prefix = keys.runProductPrefix(runId);
      let start: Record<string, unknown> | undefined;
      while (out.size < limit) {
        const page = await this.store.client.send(
          new QueryCommand({
            TableName: this.store.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': keys.planPk(planId), ':prefix': prefix },
            ProjectionExpression: 'sk',
            ConsistentRead: true,
            Limit: Math.min(500, limit - out.size),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) out.add(String(item.sk).slice(prefix.length));
        start = page.LastEvaluatedKey;
        if (!start) break;
      }
      return [...out];
    } catch (error) {
      throw toStoreError(error, 'read run products', { planId, runId });
    }
  }

  async get(planId: string, runId: string): Promise<RunRecord | null> {
    try {
      const result = await this.store.client.send(
        new GetCommand({ TableName: this.store.tableName, Key: { pk: keys.planPk(planId), sk: keys.runSk(runId) }, ConsistentRead: true }),
      );
      return result.Item ? runFromItem(result.Item) : null;
    } catch (error) {
      throw toStoreError(error, 'get run', { planId, runId });
    }
  }

  /** The plan's runs, newest first. */
  async list(planId: string, request: PageRequest = {}): Promise<Page<RunRecord>> {
    try {
      const scope = { partition: keys.planPk(planId), sortPrefix: keys.runPrefix };
      const startKey = decodeCursor(request.cursor, scope);
      const result = await this.store.client.send(
        new QueryCommand({
          TableName: this.store.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': scope.partition, ':prefix': scope.sortPrefix },
          ScanIndexForward: false,
          Limit: pageSize(request.limit),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const nextCursor = encodeCursor(result.LastEvaluatedKey);
      return { items: (result.Items ?? []).map(runFromItem), ...(nextCursor ? { nextCursor } : {}) };
    } catch (error) {
      throw toStoreError(error, 'list runs', { planId });
    }
  }

  /**
   * Adds problems and counters to a running run, in one write conditional on it running: a run
   * closed meanwhile, whose record and events are final, gets none of them (RunNotRunningError);
   * RunMissingError if it is gone. Concurrent writers may add at once (counters with `ADD`, a
   * concurrent append of problems retried).
   */
  async append(planId: string, runId: string, additions: RunAdditions): Promise<void> {
    if (!additions.problems?.length && !Object.values(additions.counters ?? {}).some((n) => n)) return;
    await this.writeRunning(planId, runId, additions, null);
  }

  async listOrders(planId: string, runId: string, request: PageRequest = {}): Promise<Page<RunOrderEntry>> {
    try {
      const scope = { partition: keys.planPk(planId), sortPrefix: keys.runOrderPrefix(runId) };
      const startKey = decodeCursor(request.cursor, scope);
      const result = await this.store.client.send(
        new QueryCommand({
          TableName: this.store.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': scope.partition, ':prefix': scope.sortPrefix },
          Limit: pageSize(request.limit),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const nextCursor = encodeCursor(result.LastEvaluatedKey);
      const items = (result.Items ?? []).map((item) => {
        const { planId: _p, runId: _r, ...entry } = withoutKeys(item);
        return entry as unknown as RunOrderEntry;
      });
      return { items, ...(nextCursor ? { nextCursor } : {}) };
    } catch (error) {
      throw toStoreError(error, 'list run orders', { planId, runId });
    }
  }

  /**
   * Closes a running run, with its last counters and problems in the same write: a run another
   * closer closed meanwhile gets none of them (RunNotRunningError), and the close, its counters
   * and its problems are one change on the table's stream. RunMissingError if the run is absent.
   */
  async close(planId: string, runId: string, end: { status: RunEndStatus; endedAt: Date; summary?: string } & RunAdditions): Promise<RunRecord> {
    return this.writeRunning(planId, runId, end, end);
  }

  /**
   * One write to a running run: its additions (problems appended to the bounded list, conditional
   * on the list's size, read first; counters added) and, with `end`, its close.
   */
  private async writeRunning(
    planId: string,
    runId: string,
    additions: RunAdditions,
    end: { status: RunEndStatus; endedAt: Date; summary?: string } | null,
  ): Promise<RunRecord> {
    const problems = additions.problems ?? [];
    const counters = Object.entries(additions.counters ?? {}).filter(([name, n]) => (RUN_COUNTERS as readonly string[]).includes(name) && n !== 0 && n !== undefined);
    const operation = end ? 'close run' : 'add to run';
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const sets: string[] = [];
      const adds: string[] = [];
      const names: Record<string, string> = { '#status': 'status' };
      const values: Record<string, unknown> = { ':running': 'running' };
      const conditions = ['#status = :running'];
      if (end) {
        sets.push('#status = :status', 'endedAt = :endedAt');
        values[':status'] = end.status;
        values[':endedAt'] = end.endedAt.toISOString();
        if (end.summary !== undefined) {
          sets.push('summary = :summary');
          values[':summary'] = end.summary;
        }
      }
      if (problems.length) {
        const run = await this.get(planId, runId);
        if (!run) throw new RunMissingError(planId, runId);
        if (run.status !== 'running') throw new RunNotRunningError(planId, runId, run.status);
        const kept = problems.slice(0, Math.max(0, MAX_RUN_ERRORS - run.errors.length)).map((p) => ({ ...p }));
        if (kept.length) {
          sets.push('#errors = list_append(#errors, :kept)');
          values[':kept'] = kept;
        }
        adds.push('errorCount :n');
        values[':n'] = problems.length;
        names['#errors'] = 'errors';
        conditions.push('size(#errors) = :size');
        values[':size'] = run.errors.length;
      }
      counters.forEach(([name, n], k) => {
        names['#c'] = 'counters';
        names[`#n${k}`] = name;
        values[`:d${k}`] = n;
        adds.push(`#c.#n${k} :d${k}`);
      });
      try {
        const result = await this.store.client.send(
          new UpdateCommand({
            TableName: this.store.tableName,
            Key: this.runKey(planId, runId),
            UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', adds.length ? `ADD ${adds.join(', ')}` : ''].filter(Boolean).join(' '),
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return runFromItem(result.Attributes ?? {});
      } catch (error) {
        if (!isConditionFailure(error)) throw toStoreError(error, operation, { planId, runId });
        const old = conditionFailureItem(error);
        if (!old) throw new RunMissingError(planId, runId);
        if (old['status'] !== 'running') throw new RunNotRunningError(planId, runId, String(old['status']));
        // Still running: a problem was appended meanwhile; read the list's size again.
      }
    }
    throw toStoreError(new Error('too many concurrent appends'), operation, { planId, runId });
  }

  // ---- How far the run has got ----------------------------------------------------------------

  /** How far the run has got: what the finalize and the close bound read. */
  async progress(planId: string, runId: string): Promise<RunProgress | null> {
    try {
      const { Item } = await this.store.client.send(new GetCommand({ TableName: this.store.tableName, Key: this.runKey(planId, runId), ConsistentRead: true }));
      if (!Item) return null;
      return {
        queued: Number(Item.queued ?? 0),
        done: Number(Item.done ?? 0),
        collected: Item.collected === true,
        status: String(Item.status),
        pendingCursor: (Item.pendingCursor as string | undefined) ?? null,
        reservesAfter: (Item.reservesAfter as string | undefined) ?? null,
        reservesPushed: Number(Item.reservesPushed ?? 0),
        reservesReconciled: Number(Item.reservesReconciled ?? 0),
        productSet: [...((Item.products as Set<string> | undefined) ?? [])],
      };
    } catch (error) {
      throw toStoreError(error, 'get run progress', { planId, runId });
    }
  }

  /**
   * Registers an order of the run before its message is sent: true when it is new to the run
   * (counted in `queued`), false when a retried collector registered it already (its message
   * is sent again all the same: the attempt that registered it may have died before sending).
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
   * Gives a claim back (its holder failed and is about to be retried): the next caller claims it
   * at once and goes on from `reservesAfter`. False when the claim was no longer `claimant`'s.
   */
  async releaseFinalize(planId: string, runId: string, claimant: string): Promise<boolean> {
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: this.runKey(planId, runId),
          UpdateExpression: 'REMOVE finalizing, finalizingAt',
          ConditionExpression: 'finalizing = :me',
          ExpressionAttributeValues: { ':me': claimant },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'release run finalize', { planId, runId });
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

  private runKey(planId: string, runId: string) {
    return { pk: keys.planPk(planId), sk: keys.runSk(runId) };
  }
}
