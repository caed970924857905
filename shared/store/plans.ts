/**
 * Plans in the table: `PLAN#<id>` / `PLAN`, listed through the `plans` index. Writes carry an
 * optimistic `version` (1 on create, +1 on every replace). Deleting needs the plan's lock to
 * be free (checked in the same transaction), so a plan cannot vanish under a running run.
 * The item also carries the schedule state (`lastSlot`: the slot that started the last
 * scheduled run), so the tick reads every plan and its state with one index query.
 */
import { DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Plan } from '#plans/plan';
import type { RunProblem } from './runs.ts';
import { planSchema } from '#plans/plan';
import { describeZodError } from '#platform/zod';
import type { StoreContext } from './client.ts';
import {
  PlanExistsError,
  PlanMissingError,
  PlanRunningError,
  PlanVersionConflictError,
  StoreCorruptItemError,
  isConditionFailure,
  toStoreError,
} from './errors.ts';
import { conditionFailureItem, failedConditions, withConflictRetry } from './items.ts';
import { decodeCursor, encodeCursor, pageSize, type Page, type PageRequest } from './paging.ts';
import { ReserveStateRepository } from './reserve-state.ts';
import { PLANS_INDEX, keys } from './table.ts';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] as const;

export interface StoredPlan {
  readonly plan: Plan;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Slot (ISO instant) that started the last scheduled run, if any */
  readonly lastSlot?: string;
  /** When `lastSlot` was claimed (the claiming tick's instant) */
  readonly lastSlotClaimedAt?: string;
  /** The run `lastSlot` was claimed for; absent when the slot was taken without a run (a plan's first store) */
  readonly lastSlotRunId?: string;
  /** The last plan check through the API, if any (the tick runs only plans whose check passed once) */
  readonly check?: PlanCheckRecord;
  /** When a check last passed, if one ever did */
  readonly checkPassedAt?: string;
  /** Orders whose resync was asked while a run held the plan: the tick starts them once it is free */
  readonly resyncRequests?: readonly string[];
}

/** A plan check's outcome as kept on the plan item, next to the plan (not part of it). */
export interface PlanCheckRecord {
  readonly checkedAt: string;
  readonly ok: boolean;
  /** The plan version checked */
  readonly version: number;
  readonly problems: readonly RunProblem[];
}

export interface PutPlanOptions {
  /** Replace only if the stored version is this one */
  readonly expectedVersion?: number;
  /** Create only: fail with PlanExistsError if the plan exists */
  readonly createOnly?: boolean;
  /** Replace only (whatever its version): fail with PlanVersionConflictError if the plan does not exist */
  readonly replaceOnly?: boolean;
  readonly now?: Date;
}

export interface PlanPage extends Page<StoredPlan> {
  /** Plans whose stored form no longer parses, with the reasons (never fatal for a listing) */
  readonly invalid: { planId: string; issues: string[] }[];
}

function fromItem(item: Record<string, unknown>): StoredPlan {
  const planId = String(item['planId']);
  const parsed = planSchema.safeParse(item['plan']);
  if (!parsed.success) {
    throw new StoreCorruptItemError(`Stored plan ${planId} no longer parses: ${describeZodError(parsed.error, 'plan').join('; ')}`, {
      context: { planId },
    });
  }
  return {
    plan: parsed.data,
    version: Number(item['version']),
    createdAt: String(item['createdAt']),
    updatedAt: String(item['updatedAt']),
    ...(typeof item['lastSlot'] === 'string' ? { lastSlot: item['lastSlot'] } : {}),
    ...(typeof item['lastSlotClaimedAt'] === 'string' ? { lastSlotClaimedAt: item['lastSlotClaimedAt'] } : {}),
    ...(typeof item['lastSlotRunId'] === 'string' ? { lastSlotRunId: item['lastSlotRunId'] } : {}),
    ...(isCheckRecord(item['lastCheck']) ? { check: item['lastCheck'] } : {}),
    ...(typeof item['checkPassedAt'] === 'string' ? { checkPassedAt: item['checkPassedAt'] } : {}),
    ...(item['resyncRequests'] instanceof Set && item['resyncRequests'].size > 0 ? { resyncRequests: [...(item['resyncRequests'] as Set<string>)].sort() } : {}),
  };
}

function isCheckRecord(value: unknown): value is PlanCheckRecord {
  const v = value as Partial<PlanCheckRecord> | undefined;
  return typeof v === 'object' && v !== null && typeof v.checkedAt === 'string' && typeof v.ok === 'boolean' && Array.isArray(v.problems);
}

export class PlanRepository {
  constructor(private readonly store: StoreContext) {}

  /** Creates or replaces the plan; answers the stored plan and whether it was created. */
  async put(plan: Plan, options: PutPlanOptions = {}): Promise<{ stored: StoredPlan; created: boolean }> {
    const now = (options.now ?? new Date()).toISOString();
    const conditions: string[] = [];
    const values: Record<string, unknown> = { ':plan': plan, ':id': plan.id, ':plans': keys.plansIndexPk, ':now': now, ':one': 1 };
    if (options.createOnly) conditions.push('attribute_not_exists(pk)');
    if (options.replaceOnly) conditions.push('attribute_exists(pk)');
    if (options.expectedVersion !== undefined) {
      conditions.push('#version = :expected');
      values[':expected'] = options.expectedVersion;
    }
    try {
      const result = await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: { pk: keys.planPk(plan.id), sk: keys.planSk },
          UpdateExpression:
            'SET #plan = :plan, planId = :id, gsi1pk = :plans, gsi1sk = :id, updatedAt = :now, createdAt = if_not_exists(createdAt, :now) ADD #version :one',
          ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
          ExpressionAttributeNames: { '#plan': 'plan', '#version': 'version' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const stored = fromItem(result.Attributes ?? {});
      return { stored, created: stored.version === 1 };
    } catch (error) {
      if (isConditionFailure(error)) {
        const old = conditionFailureItem(error);
        const oldVersion = old ? Number(old['version']) : null;
        if (options.createOnly && oldVersion !== null) throw new PlanExistsError(plan.id, oldVersion);
        throw new PlanVersionConflictError(plan.id, options.expectedVersion ?? 'any', oldVersion);
      }
      throw toStoreError(error, 'put plan', { planId: plan.id });
    }
  }

  async get(planId: string): Promise<StoredPlan | null> {
    try {
      const result = await this.store.client.send(
        new GetCommand({ TableName: this.store.tableName, Key: { pk: keys.planPk(planId), sk: keys.planSk }, ConsistentRead: true }),
      );
      return result.Item ? fromItem(result.Item) : null;
    } catch (error) {
      throw toStoreError(error, 'get plan', { planId });
    }
  }

  /**
   * The stored plan's version, read without parsing the plan; null without the plan. Whether a
   * plan exists for what does not need the plan itself (its runs, its orders): a stored plan
   * that no longer reads (a rule added since refuses it) still has them to show.
   */
  async storedVersion(planId: string): Promise<number | null> {
    const item = await this.rawPlanItem(planId, '#version', { '#version': 'version' });
    return item ? Number(item['version']) : null;
  }

  /**
   * Where a stored plan's export starts, read without parsing the plan: its `orders.exportFrom`,
   * else when it was created; null without the plan. What a replacement keeps when the stored
   * plan no longer reads (a rule added since refuses it).
   */
  async storedExportFrom(planId: string): Promise<string | null> {
    const item = await this.rawPlanItem(planId, '#plan.#orders.#exportFrom, createdAt', { '#plan': 'plan', '#orders': 'orders', '#exportFrom': 'exportFrom' });
    if (!item) return null;
    const exportFrom = (item['plan'] as { orders?: { exportFrom?: unknown } } | undefined)?.orders?.exportFrom;
    return typeof exportFrom === 'string' ? exportFrom : String(item['createdAt']);
  }

  /** Attributes of the plan item, read without parsing the plan (consistent); undefined without the plan. */
  private async rawPlanItem(planId: string, projection: string, names: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    try {
      const result = await this.store.client.send(
        new GetCommand({ TableName: this.store.tableName, Key: { pk: keys.planPk(planId), sk: keys.planSk }, ProjectionExpression: projection, ExpressionAttributeNames: names, ConsistentRead: true }),
      );
      return result.Item;
    } catch (error) {
      throw toStoreError(error, 'get plan', { planId });
    }
  }

  /** Plans in id order, a page at a time (the index is eventually consistent). */
  async list(request: PageRequest = {}): Promise<PlanPage> {
    let result: QueryCommandOutput;
    try {
      const startKey = decodeCursor(request.cursor, { index: PLANS_INDEX, partition: keys.plansIndexPk, sortPrefix: '' });
      result = await this.store.client.send(
        new QueryCommand({
          TableName: this.store.tableName,
          IndexName: PLANS_INDEX.name,
          KeyConditionExpression: '#gpk = :plans',
          ExpressionAttributeNames: { '#gpk': PLANS_INDEX.partitionKey },
          ExpressionAttributeValues: { ':plans': keys.plansIndexPk },
          Limit: pageSize(request.limit),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
    } catch (error) {
      throw toStoreError(error, 'list plans');
    }
    const items: StoredPlan[] = [];
    const invalid: { planId: string; issues: string[] }[] = [];
    for (const item of result.Items ?? []) {
      try {
        items.push(fromItem(item));
      } catch (error) {
        invalid.push({ planId: String(item['planId']), issues: [(error as Error).message] });
      }
    }
    const nextCursor = encodeCursor(result.LastEvaluatedKey);
    return { items, invalid, ...(nextCursor ? { nextCursor } : {}) };
  }

  /** Every plan, page by page (for the tick). */
  async *all(pageLimit = 100): AsyncGenerator<StoredPlan | { planId: string; issues: string[] }> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ limit: pageLimit, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      yield* page.invalid;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /**
   * Deletes the plan when no run holds its lock (same transaction), and its cursors and reserve
   * state after. Runs stay until their TTL, bindings stay (re-creating the plan must not
   * re-export orders).
   * Answers false when there was no such plan.
   */
  async delete(planId: string, options: { expectedVersion?: number; now?: Date } = {}): Promise<boolean> {
    const nowMs = (options.now ?? new Date()).getTime();
    const pk = keys.planPk(planId);
    try {
      await withConflictRetry(() =>
        this.store.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: this.store.tableName,
                  Key: { pk, sk: keys.planSk },
                  ConditionExpression: options.expectedVersion === undefined ? 'attribute_exists(pk)' : 'attribute_exists(pk) AND #version = :expected',
                  ...(options.expectedVersion === undefined
                    ? {}
                    : { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': options.expectedVersion } }),
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              {
                ConditionCheck: {
                  TableName: this.store.tableName,
                  Key: { pk, sk: keys.lockSk },
                  ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs <= :now',
                  ExpressionAttributeValues: { ':now': nowMs },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
            ],
          }),
        ),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        const [planFailed, lockFailed] = failedConditions(error);
        if (planFailed) {
          const old = conditionFailureItem(error, 0);
          if (!old) return false;
          throw new PlanVersionConflictError(planId, options.expectedVersion ?? 0, Number(old['version']));
        }
        if (lockFailed) {
          const lock = conditionFailureItem(error, 1);
          throw new PlanRunningError(planId, lock ? String(lock['runId']) : null);
        }
      }
      throw toStoreError(error, 'delete plan', { planId });
    }
    await this.deleteByPrefix(pk, 'CURSOR#');
    await this.deleteExpiredLock(pk, nowMs);
    // What the plan told Goodwix of reserves goes too: a plan created again under the id (maybe
    // on another catalog) reads its catalog's reserves anew instead of trusting an old account.
    await new ReserveStateRepository(this.store).clear(planId);
    return true;
  }

  /**
   * Keeps a check's outcome on the plan item (`lastCheck`; `checkPassedAt` when it passed), not
   * in the plan: no new version. False when the plan is gone.
   */
  async recordCheck(planId: string, check: PlanCheckRecord): Promise<boolean> {
    return this.updatePlanItem(planId, {
      UpdateExpression: check.ok ? 'SET lastCheck = :check, checkPassedAt = :at' : 'SET lastCheck = :check',
      ExpressionAttributeValues: { ':check': check, ...(check.ok ? { ':at': check.checkedAt } : {}) },
    }, 'record plan check', { planId });
  }

  /**
   * Records a resync of `orderId` asked while a run held the plan (a string set on the plan
   * item: asking twice is asking once). False without the plan.
   */
  async requestResync(planId: string, orderId: string): Promise<boolean> {
    return this.resyncSet(planId, 'ADD', orderId, 'request resync');
  }

  /** Takes a requested resync off the plan once its run started. */
  async clearResync(planId: string, orderId: string): Promise<boolean> {
    return this.resyncSet(planId, 'DELETE', orderId, 'clear resync');
  }

  private async resyncSet(planId: string, action: 'ADD' | 'DELETE', orderId: string, operation: string): Promise<boolean> {
    return this.updatePlanItem(planId, { UpdateExpression: `${action} resyncRequests :order`, ExpressionAttributeValues: { ':order': new Set([orderId]) } }, operation, { planId, orderId });
  }

  /** An update of the plan item's bookkeeping (not the plan): false when the plan is gone. */
  private async updatePlanItem(
    planId: string,
    update: { UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> },
    operation: string,
    context: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: { pk: keys.planPk(planId), sk: keys.planSk },
          ...update,
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, operation, context);
    }
  }

  /**
   * Records that `slot` started (or is starting) a scheduled run; false when that slot or a later
   * one was taken already. `runId` names the run the claim is for (a later tick looks for it to
   * tell a claim whose tick died before the start); without it the slot is taken with no run (a
   * plan's first store: its schedule starts after the slot in progress). With `replacing`, the
   * claim takes over the same slot from the claim of that run, which never started: only if the
   * slot is still claimed for it, so of two ticks replacing one claim, one wins.
   */
  async claimSlot(planId: string, slot: string, now: Date = new Date(), claim: { runId?: string; replacing?: string } = {}): Promise<boolean> {
    const values: Record<string, unknown> = { ':slot': slot, ':now': now.toISOString() };
    if (claim.runId !== undefined) values[':run'] = claim.runId;
    if (claim.replacing !== undefined) values[':replaced'] = claim.replacing;
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: { pk: keys.planPk(planId), sk: keys.planSk },
          UpdateExpression: claim.runId === undefined ? 'SET lastSlot = :slot, lastSlotClaimedAt = :now REMOVE lastSlotRunId' : 'SET lastSlot = :slot, lastSlotClaimedAt = :now, lastSlotRunId = :run',
          ConditionExpression:
            claim.replacing === undefined
              ? 'attribute_exists(pk) AND (attribute_not_exists(lastSlot) OR lastSlot < :slot)'
              : 'attribute_exists(pk) AND lastSlot = :slot AND lastSlotRunId = :replaced',
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'claim schedule slot', { planId, slot });
    }
  }

  /**
   * Gives a claimed slot back (the run did not start), restoring the previous one (null: none);
   * false if someone moved on meanwhile. With `runId`, only the claim made for that run is given
   * back, never one another tick made since. The previous slot's claim details are not known
   * any more and are dropped: that slot is past, no tick looks at them.
   */
  async releaseSlot(planId: string, slot: string, previous: string | null, runId?: string): Promise<boolean> {
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: { pk: keys.planPk(planId), sk: keys.planSk },
          UpdateExpression: previous === null ? 'REMOVE lastSlot, lastSlotClaimedAt, lastSlotRunId' : 'SET lastSlot = :previous REMOVE lastSlotClaimedAt, lastSlotRunId',
          ConditionExpression: runId === undefined ? 'lastSlot = :slot' : 'lastSlot = :slot AND lastSlotRunId = :run',
          ExpressionAttributeValues: { ':slot': slot, ...(previous === null ? {} : { ':previous': previous }), ...(runId === undefined ? {} : { ':run': runId }) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'release schedule slot', { planId, slot });
    }
  }

  /** Fails with PlanMissingError when the plan does not exist. */
  async require(planId: string): Promise<StoredPlan> {
    const stored = await this.get(planId);
    if (!stored) throw new PlanMissingError(planId);
    return stored;
  }

  private async deleteExpiredLock(pk: string, nowMs: number): Promise<void> {
    try {
      await this.store.client.send(
        new DeleteCommand({
          TableName: this.store.tableName,
          Key: { pk, sk: keys.lockSk },
          ConditionExpression: 'expiresAtMs <= :now',
          ExpressionAttributeValues: { ':now': nowMs },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw toStoreError(error, 'delete expired lock', { pk });
    }
  }

  private async deleteByPrefix(pk: string, prefix: string): Promise<void> {
    try {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.store.client.send(
          new QueryCommand({
            TableName: this.store.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
            ProjectionExpression: 'pk, sk',
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          await this.store.client.send(new DeleteCommand({ TableName: this.store.tableName, Key: { pk: item['pk'], sk: item['sk'] } }));
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw toStoreError(error, 'delete plan items', { pk, prefix });
    }
  }
}
