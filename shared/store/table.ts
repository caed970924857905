/**
 * The one DynamoDB table: key schema, indexes, TTL attribute and the key formats of every
 * item. Local `CreateTable` (`createTableInput`) and the CDK stack both read this, so they
 * cannot drift. docs/data-model.md lists every item and access pattern.
 *
 * Every partition key starts with the plan id (`PLAN#<planId>`); index partition keys are
 * `PLANS` (the catalogue of plans), `OPEN#<planId>` (a plan's open bindings) and
 * `STUCK#<planId>` (a plan's parked and dismissed orders).
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';
/** Epoch seconds after which DynamoDB may delete the item (runs and their entries). */
export const TTL_ATTRIBUTE = 'ttl';

export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  readonly nonKeyAttributes?: readonly string[];
}

/** Plans of the deployment, for the tick and `GET /plans`: only PLAN items carry gsi1pk. */
export const PLANS_INDEX: IndexDefinition = {
  name: 'plans',
  partitionKey: 'gsi1pk',
  sortKey: 'gsi1sk',
  projection: 'ALL',
};

/**
 * Open bindings of a plan (sparse: a binding carries gsi2pk only while its order is open), for
 * the back-sync to read 1C versions of the orders it still tracks without loading base snapshots.
 */
export const OPEN_BINDINGS_INDEX: IndexDefinition = {
  name: 'open-bindings',
  partitionKey: 'gsi2pk',
  sortKey: 'gsi2sk',
  projection: 'INCLUDE',
  nonKeyAttributes: ['orderId', 'onecRef', 'onecNumber', 'onecDataVersion', 'onecShipments', 'goodwixVersion', 'status', 'parkedCode', 'updatedAt'],
};

/**
 * Stuck orders of a plan (sparse: a binding carries gsi3pk only while it is parked or
 * dismissed), sorted by state, then since when (oldest first): `parked#<since>#<orderId>`,
 * `dismissed#<at>#<orderId>`. What `GET /plans/{id}/orders?state=parked|dismissed` lists
 * and where the collector reads the age of the oldest parked order (one item) from.
 */
export const STUCK_ORDERS_INDEX: IndexDefinition = {
  name: 'stuck-orders',
  partitionKey: 'gsi3pk',
  sortKey: 'gsi3sk',
  projection: 'INCLUDE',
  nonKeyAttributes: ['orderId', 'onecNumber', 'status', 'open', 'parked', 'dismissed', 'updatedAt'],
};

/** The states an order's sync record is listed by (`GET /plans/{id}/orders?state=`). */
export const STUCK_STATES = ['parked', 'dismissed'] as const;
export type StuckState = (typeof STUCK_STATES)[number];

export const tableDefinition = {
  partitionKey: { name: PARTITION_KEY, type: 'S' },
  sortKey: { name: SORT_KEY, type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
  timeToLiveAttribute: TTL_ATTRIBUTE,
  globalSecondaryIndexes: [PLANS_INDEX, OPEN_BINDINGS_INDEX, STUCK_ORDERS_INDEX],
  /** The run events are read from the stream: a run item's old and new status, an order entry's old and new state. */
  stream: 'NEW_AND_OLD_IMAGES',
} as const;

/** Key formats. Ids are validated upstream (plan ids are slugs; no `#`). */
export const keys = {
  planPk: (planId: string) => `PLAN#${planId}`,
  /** The plan item; also carries the schedule state (`lastSlot`). */
  planSk: 'PLAN',
  lockSk: 'LOCK',
  cursorSk: (name: string) => `CURSOR#${name}`,
  runPrefix: 'RUN#',
  runSk: (runId: string) => `RUN#${runId}`,
  /** Every run's per-order entries (the run events read them from the table's stream) */
  runOrderItemPrefix: 'RUNORDER#',
  runOrderPrefix: (runId: string) => `RUNORDER#${runId}#`,
  runOrderSk: (runId: string, orderId: string) => `RUNORDER#${runId}#${orderId}`,
  /**
   * The products whose reserves a run refreshes when it closes, one item each
   * (`nomenclature/characteristic/goodwixProductId`), read in key order by the finalize, which
   * records how far it got; not a set on the run item, which would outgrow 400 KB.
   */
  runProductPrefix: (runId: string) => `RUNPRODUCT#${runId}#`,
  runProductSk: (runId: string, product: string) => `RUNPRODUCT#${runId}#${product}`,
  /**
   * What Goodwix was last told about the plan's reserves, per product, in a fixed number of
   * shards (`RESERVES#00`…): see shared/store/reserve-state.ts.
   */
  reserveStateSk: (shard: number) => `RESERVES#${String(shard).padStart(2, '0')}`,
  /** Whether the reserve state was seeded from Goodwix's own reserves (and how far a seed got). */
  reserveSeedSk: 'RESERVES#SEED',
  /** Reserved for the sync's binding items (Goodwix order ↔ 1C document). */
  bindingSk: (goodwixOrderId: string) => `ORDER#${goodwixOrderId}`,
  plansIndexPk: 'PLANS',
  openBindingsPk: (planId: string) => `OPEN#${planId}`,
  stuckOrdersPk: (planId: string) => `STUCK#${planId}`,
  /** Sort key in the stuck-orders index: state, since when, order */
  stuckOrderSk: (state: StuckState, since: string, orderId: string) => `${state}#${since}#${orderId}`,
} as const;

/** Attributes every item carries for the table's own use; stripped from what repositories return. */
export const KEY_ATTRIBUTES = [PARTITION_KEY, SORT_KEY, 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', TTL_ATTRIBUTE] as const;

export function createTableInput(tableName: string): CreateTableCommandInput {
  const indexes = tableDefinition.globalSecondaryIndexes;
  const attributeNames = [PARTITION_KEY, SORT_KEY, ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  return {
    TableName: tableName,
    BillingMode: tableDefinition.billingMode,
    StreamSpecification: { StreamEnabled: true, StreamViewType: tableDefinition.stream },
    AttributeDefinitions: attributeNames.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
      { AttributeName: SORT_KEY, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection:
        index.projection === 'INCLUDE'
          ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...(index.nonKeyAttributes ?? [])] }
          : { ProjectionType: index.projection },
    })),
  };
}
