/**
 * A stand-in for EventBridge's PutEvents on 127.0.0.1, so the real EventBridge client is tested
 * over HTTP (JSON 1.1 protocol: `X-Amz-Target: AWSEvents.PutEvents`). It records the entries it
 * took and refuses those `refuse` names, answering per entry as EventBridge does
 * (`FailedEntryCount`, `ErrorCode` on the refused ones). Started in `before()`, stopped in `after()`.
 */
import { after, before } from 'node:test';
import { createServer, type Server } from 'node:http';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export interface BusEntry {
  readonly EventBusName: string;
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Time?: number;
}

export interface TestEventBus {
  /** Entries taken, in order */
  readonly entries: BusEntry[];
  /** PutEvents calls received */
  readonly calls: number;
  /** Entries for which this answers true are refused (`ErrorCode: InternalFailure`) */
  refuse: ((entry: BusEntry) => boolean) | null;
  client(): EventBridgeClient;
  reset(): void;
}

export function useEventBus(): TestEventBus {
  let server: Server | undefined;
  let endpoint = '';
  const clients: EventBridgeClient[] = [];
  const bus = {
    entries: [] as BusEntry[],
    calls: 0,
    refuse: null as ((entry: BusEntry) => boolean) | null,
    client() {
      const client = new EventBridgeClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
      clients.push(client);
      return client;
    },
    reset() {
      bus.entries.length = 0;
      bus.calls = 0;
      bus.refuse = null;
    },
  };
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'UnknownOperationException' }));
          return;
        }
        bus.calls += 1;
        const { Entries } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: BusEntry[] };
        const answers = Entries.map((entry, i) => {
          if (bus.refuse?.(entry)) return { ErrorCode: 'InternalFailure', ErrorMessage: 'refused by the test bus' };
          bus.entries.push(entry);
          return { EventId: `event-${bus.calls}-${i}` };
        });
        const failed = answers.filter((a) => 'ErrorCode' in a).length;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ FailedEntryCount: failed, Entries: answers }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });
  return bus;
}
