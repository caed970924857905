/**
 * The table's stream as Lambda's DynamoDB event source reads it, for the local runtime: the
 * shards of DynamoDB Local's stream are read in order from their start, each batch of records
 * handed to the events handler, and a record it answers in `batchItemFailures` read again on
 * the next poll (as Lambda resumes a shard at the failed record). New shards are picked up as
 * DynamoDB Local opens them.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_REGION } from './services.ts';

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export interface TableStreamSource {
  /** Reads every shard once and hands what it found to the handler; answers how many records */
  pollOnce(): Promise<number>;
  /** Polls until the stream has nothing new (two empty polls in a row) */
  drain(options?: { timeoutMs?: number }): Promise<number>;
  close(): void;
}

interface ShardState {
  iterator?: string | undefined;
  /** Resume here on the next poll (a record the handler failed) */
  retryFrom?: string | undefined;
  closed: boolean;
}

export async function tableStreamSource(options: { endpoint: string; tableName: string; dynamo: DynamoDBClient; handler: StreamHandler; batchSize?: number }): Promise<TableStreamSource> {
  const described = await options.dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream (tableDefinition.stream)`);
  const streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const shards = new Map<string, ShardState>();
  const batchSize = options.batchSize ?? 100;
  let polling: Promise<number> | null = null;

  async function iteratorFor(shardId: string, state: ShardState): Promise<string | undefined> {
    if (state.retryFrom) {
      const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: state.retryFrom }));
      state.retryFrom = undefined;
      return ShardIterator;
    }
    if (state.iterator) return state.iterator;
    const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    return ShardIterator;
  }

  async function pollShards(): Promise<number> {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) if (shard.ShardId && !shards.has(shard.ShardId)) shards.set(shard.ShardId, { closed: false });
    let handled = 0;
    for (const [shardId, state] of shards) {
      if (state.closed) continue;
      const iterator = await iteratorFor(shardId, state);
      if (!iterator) {
        state.closed = true;
        continue;
      }
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
      const records = page.Records ?? [];
      state.iterator = page.NextShardIterator;
      if (!page.NextShardIterator) state.closed = true;
      if (records.length === 0) continue;
      handled += records.length;
      const response = await options.handler({ Records: records.map(toLambdaRecord) } as DynamoDBStreamEvent).catch(() => ({
        // A failed invocation: Lambda retries the whole batch.
        batchItemFailures: [{ itemIdentifier: records[0]!.dynamodb?.SequenceNumber ?? '' }],
      }));
      const retryFrom = response.batchItemFailures[0]?.itemIdentifier;
      if (retryFrom) {
        state.retryFrom = retryFrom;
        state.closed = false;
      }
    }
    return handled;
  }

  const pollOnce = async (): Promise<number> => {
    // One reader at a time, like one Lambda invocation per shard.
    while (polling) await polling.catch(() => 0);
    polling = pollShards();
    try {
      return await polling;
    } finally {
      polling = null;
    }
  };

  return {
    pollOnce,
    async drain({ timeoutMs = 30_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let handled = 0;
      let quiet = 0;
      while (Date.now() < deadline) {
        const n = await pollOnce();
        handled += n;
        quiet = n === 0 ? quiet + 1 : 0;
        if (quiet >= 2) return handled;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`table stream not drained within ${timeoutMs} ms`);
    },
    close() {
      streams.destroy();
    },
  };
}

/** A Streams API record in the shape Lambda hands the function (dates as epoch seconds). */
function toLambdaRecord(record: _Record): DynamoDBStreamEvent['Records'][number] {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    ...(record.eventID ? { eventID: record.eventID } : {}),
    ...(record.eventName ? { eventName: record.eventName } : {}),
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    dynamodb: {
      ...(dynamodb as NonNullable<DynamoDBStreamEvent['Records'][number]['dynamodb']>),
      ...(ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) } : {}),
    },
  };
}
