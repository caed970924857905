/**
 * DynamoDB Local for a test file: started once in `before()` on a free 127.0.0.1 port, one
 * fresh table per test (`newStore()`, created from `#store/table`), stopped by pid in `after()`.
 *
 *   const dynamo = useDynamoDb();            // registers before/after
 *   const store = await dynamo.newStore();   // in a test
 */
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { createTable, localDynamoDbClient, startDynamoDbLocal, type DynamoDbLocal } from '#local/runtime/services';
import { createStoreContext, type StoreContext } from '#store/client';

export interface TestDynamoDb {
  readonly endpoint: string;
  /** A new, empty table and a store context on it */
  newStore(): Promise<StoreContext>;
}

export function useDynamoDb(): TestDynamoDb {
  let server: DynamoDbLocal | undefined;
  const stores: StoreContext[] = [];
  before(async () => {
    server = await startDynamoDbLocal();
  });
  after(async () => {
    for (const store of stores) store.client.destroy();
    await server?.stop();
  });
  return {
    get endpoint() {
      if (!server) throw new Error('DynamoDB Local is not started yet (use it inside tests)');
      return server.endpoint;
    },
    async newStore() {
      if (!server) throw new Error('DynamoDB Local is not started yet (use it inside tests)');
      const tableName = `test-${randomBytes(6).toString('hex')}`;
      const admin = localDynamoDbClient(server.endpoint);
      await createTable(admin, tableName);
      admin.destroy();
      const store = createStoreContext(tableName, { endpoint: server.endpoint });
      stores.push(store);
      return store;
    },
  };
}
