/**
 * The DynamoDB document client every repository uses, and the context they share. In Lambda
 * the region and credentials come from the environment; locally `endpoint` points at
 * DynamoDB Local (with dummy credentials, which it accepts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { lazyClient, type ClientInstrument } from '#platform/aws-clients';

export interface StoreContext {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

export interface DocumentClientOptions {
  /** e.g. http://127.0.0.1:41234 for DynamoDB Local; absent in AWS */
  readonly endpoint?: string;
  readonly region?: string;
  /** Attempts per call, including the first (SDK default 3) */
  readonly maxAttempts?: number;
  /** Attached to the client (the local runtime records the function's calls); absent in AWS */
  readonly instrument?: ClientInstrument;
}

export function createDocumentClient(options: DocumentClientOptions = {}): DynamoDBDocumentClient {
  const local = options.endpoint !== undefined;
  const client = new DynamoDBClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region || local ? { region: options.region ?? 'us-east-1' } : {}),
    ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  });
  options.instrument?.(client);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

/** The client is built on the first call (`lazyClient`), not at module init. */
export function createStoreContext(tableName: string, options: DocumentClientOptions = {}): StoreContext {
  return { client: lazyClient(() => createDocumentClient(options)), tableName };
}
