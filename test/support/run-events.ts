/**
 * The run events a table's changes mean, read as the events function reads them: DynamoDB
 * Local's stream from its start, through `forwardRunEvents` (the events function's use case)
 * into memory. Tests of the run use cases assert on these instead of on a publisher the use
 * cases no longer call.
 */
import { forwardRunEvents } from '#runs/event-stream';
import { MemoryEventPublisher, type RunEvent } from '#runs/events';
import { localDynamoDbClient } from '#local/runtime/services';
import { tableStreamSource } from '#local/runtime/table-stream';
import type { StoreContext } from '#store/client';

export async function runEventsOf(store: StoreContext, endpoint: string): Promise<RunEvent[]> {
  const bus = new MemoryEventPublisher();
  const dynamo = localDynamoDbClient(endpoint);
  const source = await tableStreamSource({
    endpoint,
    tableName: store.tableName,
    dynamo,
    handler: async (event) => {
      await forwardRunEvents(event.Records, bus);
      return { batchItemFailures: [] };
    },
  });
  try {
    await source.drain();
    return bus.events;
  } finally {
    source.close();
    dynamo.destroy();
  }
}
