/**
 * The per-plan run lock: `PLAN#<id>` / `LOCK` holding the run id and an expiry. Taken with a
 * conditional write (free, or expired: a crashed run does not block the plan forever) in the
 * same transaction as a check that the plan exists; renewed and released only by its holder.
 */
import { DeleteCommand, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './client.ts';
import { LockHeldError, LockLostError, PlanMissingError, isConditionFailure, toStoreError } from './errors.ts';
import { conditionFailureItem, epochSeconds, failedConditions, withConflictRetry } from './items.ts';
import { keys } from './table.ts';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

export interface LockLease {
  readonly planId: string;
  readonly runId: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

export interface LockTiming {
  /** How long the lease lasts without renewal */
  readonly ttlMs: number;
  readonly now?: Date;
}

/** DynamoDB may remove a forgotten lock item a day after it expired (it is ignored once expired anyway). */
const CLEANUP_AFTER_S = 86_400;

function leaseFromItem(item: Record<string, unknown>): LockLease {
  return {
    planId: String(item['planId']),
    runId: String(item['runId']),
    acquiredAt: String(item['acquiredAt']),
    expiresAt: String(item['expiresAt']),
  };
}

export class LockRepository {
  constructor(private readonly store: StoreContext) {}

  /** Takes the plan's lock for `runId`; LockHeldError while another unexpired run holds it, PlanMissingError without the plan. */
  async acquire(planId: string, runId: string, timing: LockTiming): Promise<LockLease> {
    const now = timing.now ?? new Date();
    const expires = new Date(now.getTime() + timing.ttlMs);
    const pk = keys.planPk(planId);
    const lease: LockLease = { planId, runId, acquiredAt: now.toISOString(), expiresAt: expires.toISOString() };
    try {
      await withConflictRetry(() =>
        this.store.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: this.store.tableName,
                  Key: { pk, sk: keys.planSk },
                  ConditionExpression: 'attribute_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: this.store.tableName,
                  Item: { pk, sk: keys.lockSk, ...lease, expiresAtMs: expires.getTime(), ttl: epochSeconds(expires) + CLEANUP_AFTER_S },
                  ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs <= :now',
                  ExpressionAttributeValues: { ':now': now.getTime() },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
            ],
          }),
        ),
      );
      return lease;
    } catch (error) {
      if (isConditionFailure(error)) {
        const [planFailed] = failedConditions(error);
        if (planFailed) throw new PlanMissingError(planId);
        const holder = conditionFailureItem(error, 1);
        throw new LockHeldError(planId, holder ? String(holder['runId']) : null, holder ? String(holder['expiresAt']) : null);
      }
      throw toStoreError(error, 'acquire lock', { planId, runId });
    }
  }

  /** Extends the holder's lease; LockLostError when `runId` no longer holds it (taken over after expiry, or released). */
  async renew(planId: string, runId: string, timing: LockTiming): Promise<LockLease> {
    const now = timing.now ?? new Date();
    const expires = new Date(now.getTime() + timing.ttlMs);
    try {
      const result = await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: { pk: keys.planPk(planId), sk: keys.lockSk },
          UpdateExpression: 'SET expiresAt = :expires, expiresAtMs = :expiresMs, #ttl = :ttl',
          ConditionExpression: 'runId = :runId',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':runId': runId,
            ':expires': expires.toISOString(),
            ':expiresMs': expires.getTime(),
            ':ttl': epochSeconds(expires) + CLEANUP_AFTER_S,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return leaseFromItem(result.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) {
        const holder = conditionFailureItem(error);
        throw new LockLostError(planId, runId, holder ? String(holder['runId']) : null);
      }
      throw toStoreError(error, 'renew lock', { planId, runId });
    }
  }

  /**
   * Brings the holder's lease down to `now + ttlMs` if it ends later (never extends it): a run
   * whose orders are all done has only its close left, which must not block the plan for a
   * whole lease if whoever closes it dies. False when `runId` does not hold it or it ends sooner.
   */
  async cap(planId: string, runId: string, timing: LockTiming): Promise<boolean> {
    const now = timing.now ?? new Date();
    const expires = new Date(now.getTime() + timing.ttlMs);
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: { pk: keys.planPk(planId), sk: keys.lockSk },
          UpdateExpression: 'SET expiresAt = :expires, expiresAtMs = :expiresMs, #ttl = :ttl',
          ConditionExpression: 'runId = :runId AND expiresAtMs > :expiresMs',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':runId': runId, ':expires': expires.toISOString(), ':expiresMs': expires.getTime(), ':ttl': epochSeconds(expires) + CLEANUP_AFTER_S },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'cap lock', { planId, runId });
    }
  }

  /** Releases the lock if `runId` holds it; false when it does not (nothing is touched then). */
  async release(planId: string, runId: string): Promise<boolean> {
    try {
      await this.store.client.send(
        new DeleteCommand({
          TableName: this.store.tableName,
          Key: { pk: keys.planPk(planId), sk: keys.lockSk },
          ConditionExpression: 'runId = :runId',
          ExpressionAttributeValues: { ':runId': runId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'release lock', { planId, runId });
    }
  }

  /** The current lease, expired or not (compare `expiresAt` with the clock). */
  async get(planId: string): Promise<LockLease | null> {
    try {
      const result = await this.store.client.send(
        new GetCommand({ TableName: this.store.tableName, Key: { pk: keys.planPk(planId), sk: keys.lockSk }, ConsistentRead: true }),
      );
      return result.Item ? leaseFromItem(result.Item) : null;
    } catch (error) {
      throw toStoreError(error, 'get lock', { planId });
    }
  }
}
