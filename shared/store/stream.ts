/**
 * The table's stream records as the events function reads them: the keys and images of a
 * change, images in DynamoDB JSON until read here. Reading the stream (Lambda's event source
 * mapping) needs dynamodb:DescribeStream, GetRecords, GetShardIterator and ListStreams on it.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'] as const;

/** The part of a DynamoDB stream record the events come from (Lambda's and the Streams API's shape). */
export interface StreamRecord {
  readonly eventName?: string | undefined;
  readonly dynamodb?:
    | {
        readonly Keys?: Record<string, unknown> | undefined;
        readonly NewImage?: Record<string, unknown> | undefined;
        readonly OldImage?: Record<string, unknown> | undefined;
        readonly SequenceNumber?: string | undefined;
      }
    | undefined;
}

/** A record's image as a plain item (throws on an image DynamoDB JSON cannot describe). */
export function streamImage(value: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return value ? unmarshall(value as Record<string, AttributeValue>) : undefined;
}
