/**
 * The exchange's one DynamoDB table, declared from the definition the code and the local
 * runtime use (`shared/store/table.ts`), so the three cannot drift. Point-in-time recovery,
 * deletion protection, KMS encryption at rest, and kept when its stack is deleted. Its stream
 * (view type from the definition: old and new images) is where the events function reads the
 * run events from (`shared/exchange/run-events.ts`).
 *
 * Permissions are granted per function and per action (`grant`), on the table and on the
 * indexes a function queries by name, never `dynamodb:*` or the batch and scan actions nobody
 * calls.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { tableDefinition } from '#store/table';

/** Index names of the table definition. */
export type IndexName = (typeof tableDefinition.globalSecondaryIndexes)[number]['name'];

/**
 * Item-level DynamoDB actions the exchange uses (`TransactWriteItems` is authorised per item
 * action); `BatchWriteItem` only for the worker, which writes a run's product items in batches.
 */
export type ItemAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem' | 'BatchWriteItem';

export interface TableAccess {
  /** Item actions on the table */
  readonly items: readonly ItemAction[];
  /** `Query` on the table itself (a plan's runs, a run's orders, a plan's cursors) */
  readonly queryTable?: boolean;
  /** `Query` on these indexes */
  readonly queryIndexes?: readonly IndexName[];
}

export interface ExchangeTableProps {
  /**
   * What happens to the table when it leaves the stack. Default `RETAIN`: the data outlives the
   * stack; delete the table by hand (deletion protection off first) if that is what you want.
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Deletion protection. Default true. */
  readonly deletionProtection?: boolean;
}

export class ExchangeTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: ExchangeTableProps = {}) {
    super(scope, id);
    const attribute = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: attribute(tableDefinition.partitionKey.name),
      sortKey: attribute(tableDefinition.sortKey.name),
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      globalSecondaryIndexes: tableDefinition.globalSecondaryIndexes.map((index) => ({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType[index.projection],
        ...(index.projection === 'INCLUDE' ? { nonKeyAttributes: [...(index.nonKeyAttributes ?? [])] } : {}),
      })),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      dynamoStream: dynamodb.StreamViewType[tableDefinition.stream],
    });
  }

  /** Grants exactly the given actions, on the table and the named indexes only. */
  grantAccess(grantee: iam.IGrantable, access: TableAccess): void {
    if (access.items.length > 0) {
      iam.Grant.addToPrincipal({ grantee, actions: access.items.map((a) => `dynamodb:${a}`), resourceArns: [this.table.tableArn] });
    }
    const queryArns = [
      ...(access.queryTable ? [this.table.tableArn] : []),
      ...(access.queryIndexes ?? []).map((name) => `${this.table.tableArn}/index/${name}`),
    ];
    if (queryArns.length > 0) iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: queryArns });
  }

  /**
   * Refuses writes of binding items (the sync's order records, `shared/store/bindings.ts`) to a
   * function that has item writes for other items: a binding always carries the compressed base
   * snapshot `base`, which no other item has, so `PutItem`/`UpdateItem` naming it are denied.
   * Only the worker writes bindings.
   */
  denyBindingWrites(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'NoBindingWrites',
        effect: iam.Effect.DENY,
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAnyValue:StringEquals': { 'dynamodb:Attributes': [BINDING_ONLY_ATTRIBUTE] } },
      }),
    );
  }
}

/** The attribute only binding items carry (the gzip'd base snapshot). */
export const BINDING_ONLY_ATTRIBUTE = 'base';
