/**
 * Runs and their journal: `PLAN#<id>` / `RUN#<runId>` (run ids sort by start time, so the
 * newest come first in a descending Query), per-order outcomes as their own items
 * `RUNORDER#<runId>#<orderId>`. Counters are updated atomically with `ADD`; run-level problems
 * are a bounded list on the run item (the total count is kept apart); everything expires by
 * TTL after the retention period. The run events are derived from these items' changes
 * (`#exchange/run-events`).
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './client.ts';
import { RunMissingError, RunNotRunningError, isConditionFailure, toStoreError } from './errors.ts';
import { conditionFailureItem, epochSeconds, withoutKeys } from './items.ts';
import { decodeCursor, encodeCursor, pageSize, type Page, type PageRequest } from './paging.ts';
import { keys } from './table.ts';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] as const;

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
      const startKey = decodeCursor(request.cursor, 'pk', keys.planPk(planId));
      const result = await this.store.client.send(
        new QueryCommand({
          TableName: this.store.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.planPk(planId), ':prefix': keys.runPrefix },
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

  /** Adds to the run's counters atomically (concurrent workers may add at once). */
  async addCounters(planId: string, runId: string, deltas: Partial<RunCounters>): Promise<void> {
    const entries = Object.entries(deltas).filter(([name, n]) => (RUN_COUNTERS as readonly string[]).includes(name) && n !== 0 && n !== undefined);
    if (entries.length === 0) return;
    const names: Record<string, string> = { '#c': 'counters' };
    const values: Record<string, unknown> = {};
    const adds = entries.map(([name, n], i) => {
      names[`#n${i}`] = name;
      values[`:d${i}`] = n;
      return `#c.#n${i} :d${i}`;
    });
    await this.update(planId, runId, 'add counters', {
      UpdateExpression: `ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  /** Appends run-level problems, keeping at most MAX_RUN_ERRORS of them; `errorCount` counts all. */
  async addErrors(planId: string, runId: string, problems: readonly RunProblem[]): Promise<void> {
    if (problems.length === 0) return;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const run = await this.get(planId, runId);
      if (!run) throw new RunMissingError(planId, runId);
      const room = Math.max(0, MAX_RUN_ERRORS - run.errors.length);
      const kept = problems.slice(0, room).map((p) => ({ ...p }));
      try {
        await this.store.client.send(
          new UpdateCommand({
            TableName: this.store.tableName,
            Key: { pk: keys.planPk(planId), sk: keys.runSk(runId) },
            UpdateExpression: kept.length ? 'SET #errors = list_append(#errors, :kept) ADD errorCount :n' : 'ADD errorCount :n',
            ConditionExpression: 'attribute_exists(pk) AND size(#errors) = :size',
            ExpressionAttributeNames: { '#errors': 'errors' },
            ExpressionAttributeValues: { ':n': problems.length, ':size': run.errors.length, ...(kept.length ? { ':kept': kept } : {}) },
          }),
        );
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw toStoreError(error, 'add run errors', { planId, runId });
        // Someone appended meanwhile: read again and retry.
      }
    }
    throw toStoreError(new Error('too many concurrent appends'), 'add run errors', { planId, runId });
  }

  async listOrders(planId: string, runId: string, request: PageRequest = {}): Promise<Page<RunOrderEntry>> {
    try {
      const startKey = decodeCursor(request.cursor, 'pk', keys.planPk(planId));
      const result = await this.store.client.send(
        new QueryCommand({
          TableName: this.store.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.planPk(planId), ':prefix': keys.runOrderPrefix(runId) },
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

  /** Closes a running run; RunNotRunningError if it was closed already, RunMissingError if absent. */
  async close(planId: string, runId: string, end: { status: RunEndStatus; endedAt: Date; summary?: string }): Promise<RunRecord> {
    try {
      const result = await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: { pk: keys.planPk(planId), sk: keys.runSk(runId) },
          UpdateExpression: end.summary === undefined ? 'SET #status = :status, endedAt = :endedAt' : 'SET #status = :status, endedAt = :endedAt, summary = :summary',
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': end.status,
            ':endedAt': end.endedAt.toISOString(),
            ':running': 'running',
            ...(end.summary === undefined ? {} : { ':summary': end.summary }),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return runFromItem(result.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) {
        const old = conditionFailureItem(error);
        if (!old) throw new RunMissingError(planId, runId);
        throw new RunNotRunningError(planId, runId, String(old['status']));
      }
      throw toStoreError(error, 'close run', { planId, runId });
    }
  }

  private async update(
    planId: string,
    runId: string,
    operation: string,
    input: { UpdateExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> },
  ): Promise<void> {
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: { pk: keys.planPk(planId), sk: keys.runSk(runId) },
          ConditionExpression: 'attribute_exists(pk)',
          ...input,
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new RunMissingError(planId, runId);
      throw toStoreError(error, operation, { planId, runId });
    }
  }
}
