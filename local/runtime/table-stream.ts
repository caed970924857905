/**
 * The table's stream as Lambda's DynamoDB event source reads it, for the local runtime: the
 * shards of DynamoDB Local's stream are read in order from their start, each batch of records
 * handed to the events handler, and a record it answers in `batchItemFailures` read again on
 * the next poll (as Lambda resumes a shard at the failed record). New shards are picked up as
 * DynamoDB Local opens them, and a child shard is read only once its parent is finished, so
 * the records of one item stay in order.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { ClientInstrument } from '#platform/aws-clients';
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
  readonly parentId?: string | undefined;
  iterator?: string | undefined;
  /** Resume here on the next poll (a record the handler failed) */
  retryFrom?: string | undefined;
  /** The last record the handler took: where to resume when an iterator is lost */
  lastHandled?: string | undefined;
  closed: boolean;
}

export async function tableStreamSource(options: {
  endpoint: string;
  tableName: string;
  dynamo: DynamoDBClient;
  handler: StreamHandler;
  batchSize?: number;
  /** Attached to the stream client: the reads Lambda's event source makes with the function's role */
  instrument?: ClientInstrument;
}): Promise<TableStreamSource> {
  const described = await options.dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream (tableDefinition.stream)`);
  const streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  options.instrument?.(streams);
  const shards = new Map<string, ShardState>();
  const batchSize = options.batchSize ?? 100;
  let polling: Promise<number> | null = null;

  async function iteratorFor(shardId: string, state: ShardState): Promise<string | undefined> {
    const at = (type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER' | 'TRIM_HORIZON', sequenceNumber?: string) =>
      streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type, ...(sequenceNumber ? { SequenceNumber: sequenceNumber } : {}) }));
    if (state.retryFrom) return (await at('AT_SEQUENCE_NUMBER', state.retryFrom)).ShardIterator;
    if (state.iterator) return state.iterator;
    if (state.lastHandled) return (await at('AFTER_SEQUENCE_NUMBER', state.lastHandled)).ShardIterator;
    return (await at('TRIM_HORIZON')).ShardIterator;
  }

  async function pollShard(shardId: string, state: ShardState): Promise<number> {
    const iterator = await iteratorFor(shardId, state);
    if (!iterator) {
      state.closed = true;
      return 0;
    }
    let page;
    try {
      page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
    } catch (error) {
      // An expired or trimmed iterator: the next poll asks for a new one after the last record taken.
      state.iterator = undefined;
      throw error;
    }
    const records = page.Records ?? [];
    state.iterator = page.NextShardIterator;
    if (records.length === 0) {
      if (!page.NextShardIterator && !state.retryFrom) state.closed = true;
      return 0;
    }
    const response = await options.handler({ Records: records.map(toLambdaRecord) } as DynamoDBStreamEvent).catch(() => ({
      // A failed invocation: Lambda retries the whole batch.
      batchItemFailures: [{ itemIdentifier: records[0]!.dynamodb?.SequenceNumber ?? '' }],
    }));
    const retryFrom = response.batchItemFailures[0]?.itemIdentifier;
    const failedAt = retryFrom ? records.findIndex((r) => r.dynamodb?.SequenceNumber === retryFrom) : -1;
    // A failure naming no record of the batch fails the whole batch, as Lambda treats it.
    const resumeAt = retryFrom === undefined ? records.length : Math.max(failedAt, 0);
    state.lastHandled = resumeAt > 0 ? records[resumeAt - 1]!.dynamodb?.SequenceNumber : state.lastHandled;
    state.retryFrom = resumeAt < records.length ? records[resumeAt]!.dynamodb?.SequenceNumber : undefined;
    state.closed = !page.NextShardIterator && !state.retryFrom;
    return records.length;
  }

  async function pollShards(): Promise<number> {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (shard.ShardId && !shards.has(shard.ShardId)) shards.set(shard.ShardId, { parentId: shard.ParentShardId, closed: false });
    }
    let handled = 0;
    const failures: unknown[] = [];
    for (const [shardId, state] of shards) {
      const parent = state.parentId ? shards.get(state.parentId) : undefined;
      if (state.closed || (parent && !parent.closed)) continue;
      // One shard's trouble does not stop the others.
      handled += await pollShard(shardId, state).catch((error: unknown) => {
        failures.push(error);
        return 0;
      });
    }
    if (failures.length && handled === 0) throw failures[0];
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
