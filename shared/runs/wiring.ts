/**
 * Ports built from a function's configuration: the DynamoDB store and its repositories and the
 * SQS run queue. Handlers call these at module load (the api and collector add Secrets Manager
 * and the real clients for the plan check, `#aws/secrets-manager` and `#runs/connectors`, which the
 * tick does not bundle); the local runtime calls the same builders with local endpoints and
 * swaps the secrets for local ones. None of them puts events (`#exchange/run-events`).
 */
import type { ClientInstrument } from '#platform/aws-clients';
import type { CommonConfig } from '#platform/env';
import type { SecretsProvider } from '#secrets/secrets';
import { createStoreContext, type StoreContext } from '#store/client';
import { CursorRepository } from '#store/cursors';
import { LockRepository } from '#store/lock';
import { DynamoOrderRecordReader } from '#store/order-records';
import { PlanRepository } from '#store/plans';
import { RunRepository } from '#store/runs';
import { ReserveStateRepository } from '#store/reserve-state';
import { syncRecordView } from '#store/bindings';
import type { PlanConnectors } from './check-plan.ts';
import type { Logger } from '#platform/logger';
import type { RunPorts } from './ports.ts';
import { SqsRunQueue, type RunQueue } from '#aws/run-queue';
import { createSqsClient } from '#aws/sqs';

export interface StoreConfig {
  readonly tableName: string;
  readonly lockTtlSeconds: number;
  readonly runRetentionDays: number;
  /** DynamoDB endpoint override (DynamoDB Local); absent in AWS */
  readonly dynamodbEndpoint?: string;
  readonly region?: string;
  /** Attached to the DynamoDB client (`PortOverrides.instrument`) */
  readonly instrument?: ClientInstrument;
}

export interface Repositories {
  readonly store: StoreContext;
  readonly plans: PlanRepository;
  readonly locks: LockRepository;
  readonly runs: RunRepository;
  readonly cursors: CursorRepository;
  readonly reserveState: ReserveStateRepository;
  readonly orderRecords: DynamoOrderRecordReader;
}

export function createRepositories(config: StoreConfig): Repositories {
  const store = createStoreContext(config.tableName, {
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
    ...(config.region ? { region: config.region } : {}),
    ...(config.instrument ? { instrument: config.instrument } : {}),
  });
  return {
    store,
    plans: new PlanRepository(store),
    locks: new LockRepository(store),
    runs: new RunRepository(store, { retentionDays: config.runRetentionDays }),
    cursors: new CursorRepository(store),
    reserveState: new ReserveStateRepository(store),
    orderRecords: new DynamoOrderRecordReader(store, syncRecordView),
  };
}


export function createRunQueue(config: { runQueueUrl: string; sqsEndpoint?: string; region?: string; instrument?: ClientInstrument | undefined }): RunQueue {
  return new SqsRunQueue(createSqsClient(config), config.runQueueUrl);
}

/** The repositories and the run ports of a function, from its configuration. */
export function commonPorts(config: CommonConfig, overrides: PortOverrides = {}): { repositories: Repositories; run: RunPorts } {
  const storeConfig: StoreConfig = {
    tableName: config.TABLE_NAME,
    lockTtlSeconds: config.LOCK_TTL_SECONDS,
    runRetentionDays: config.RUN_RETENTION_DAYS,
    ...(config.DYNAMODB_ENDPOINT ? { dynamodbEndpoint: config.DYNAMODB_ENDPOINT } : {}),
    ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
    ...(overrides.instrument ? { instrument: overrides.instrument } : {}),
  };
  const repositories = createRepositories(storeConfig);
  return { repositories, run: runPorts(repositories, storeConfig, overrides) };
}

/** Where a function's SQS client points: `sqsEndpoint`/`region` from its configuration. */
export function sqsTarget(config: CommonConfig): { sqsEndpoint?: string; region?: string } {
  return { ...(config.SQS_ENDPOINT ? { sqsEndpoint: config.SQS_ENDPOINT } : {}), ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}) };
}

export interface PortOverrides {
  readonly secrets?: SecretsProvider;
  readonly connectors?: PlanConnectors;
  readonly logger?: Logger;
  readonly now?: () => Date;
  /** Attached to every SDK client the function builds (the local runtime's call recording) */
  readonly instrument?: ClientInstrument;
}

/** The ports every run use case shares. */
export function runPorts(repositories: Repositories, config: StoreConfig, overrides: PortOverrides = {}): RunPorts {
  return {
    plans: repositories.plans,
    locks: repositories.locks,
    runs: repositories.runs,
    lockTtlMs: config.lockTtlSeconds * 1000,
    ...(overrides.logger ? { logger: overrides.logger } : {}),
    ...(overrides.now ? { now: overrides.now } : {}),
  };
}

