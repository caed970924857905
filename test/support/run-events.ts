/**
 * A table's stream read from its start as the events function reads it. `readTableStream`
 * hands DynamoDB Local's stream batches to a handler until the stream has nothing new;
 * `runEventsOf` runs them through `forwardRunEvents` (the events function's use case) into
 * memory, so tests of the run use cases assert on the events their writes mean.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { MemoryEventPublisher, forwardRunEvents, type RunEvent } from '#exchange/run-events';
import { localDynamoDbClient } from '#local/runtime/services';
import { tableStreamSource } from '#local/runtime/table-stream';
import type { StoreContext } from '#store/client';

export async function readTableStream(store: StoreContext, endpoint: string, handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>): Promise<void> {
  const dynamo = localDynamoDbClient(endpoint);
  const source = await tableStreamSource({ endpoint, tableName: store.tableName, dynamo, handler });
  try {
    await source.drain();
  } finally {
    source.close();
    dynamo.destroy();
  }
}

export async function runEventsOf(store: StoreContext, endpoint: string): Promise<RunEvent[]> {
  const bus = new MemoryEventPublisher();
  await readTableStream(store, endpoint, async (event) => {
    await forwardRunEvents(event.Records, bus);
    return { batchItemFailures: [] };
  });
  return bus.events;
}
