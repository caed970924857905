/**
 * Counts DynamoDB operations in this process, for benchmarks only: `DynamoDBDocumentClient`'s
 * `send` (every repository of every function in the local runtime goes through one) is wrapped
 * while a counter is installed. An operation is counted once however many times the SDK
 * retried it; items read are what Get/Query/Scan/BatchGet answered.
 *
 *     const counter = installDynamoCounter();
 *     … run something …
 *     counter.snapshot();   // { operations: 12, reads: 7, writes: 5, itemsRead: 40, byCommand: {…} }
 *     counter.uninstall();
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const READS = new Set(['GetCommand', 'QueryCommand', 'ScanCommand', 'BatchGetCommand', 'TransactGetCommand']);

export interface DynamoCounts {
  readonly operations: number;
  /** Get, Query, Scan, BatchGet, TransactGet */
  readonly reads: number;
  /** Everything else: Put, Update, Delete, TransactWrite, BatchWrite */
  readonly writes: number;
  /** Items the reads answered (a Query of 500 open bindings counts 500) */
  readonly itemsRead: number;
  readonly byCommand: Readonly<Record<string, number>>;
}

export interface DynamoCounter {
  snapshot(): DynamoCounts;
  reset(): void;
  uninstall(): void;
}

type Send = (command: { constructor: { name: string } }, ...rest: unknown[]) => Promise<Record<string, unknown>>;

let installed: DynamoCounter | null = null;

/** What a watcher sees of each operation, when it has finished (successfully or not). */
export interface DynamoOperation {
  readonly command: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly ok: boolean;
  /** performance.now() at the end */
  readonly at: number;
}

export function installDynamoCounter(options: { watch?: (operation: DynamoOperation) => void } = {}): DynamoCounter {
  if (installed) throw new Error('a DynamoDB counter is already installed');
  const proto = DynamoDBDocumentClient.prototype as unknown as { send: Send };
  const hadOwn = Object.hasOwn(proto, 'send');
  const original = proto.send;
  let byCommand = new Map<string, number>();
  let itemsRead = 0;
  proto.send = async function (this: unknown, command, ...rest) {
    const name = command.constructor.name;
    byCommand.set(name, (byCommand.get(name) ?? 0) + 1);
    let output: Record<string, unknown>;
    try {
      output = await original.call(this, command, ...rest);
    } catch (error) {
      options.watch?.({ command: name, input: (command as { input?: Record<string, unknown> }).input ?? {}, ok: false, at: performance.now() });
      throw error;
    }
    options.watch?.({ command: name, input: (command as { input?: Record<string, unknown> }).input ?? {}, ok: true, at: performance.now() });
    if (READS.has(name)) {
      if (output?.['Item']) itemsRead += 1;
      if (Array.isArray(output?.['Items'])) itemsRead += output['Items'].length;
      const responses = output?.['Responses'];
      if (Array.isArray(responses)) itemsRead += responses.length;
      else if (responses && typeof responses === 'object') for (const list of Object.values(responses)) if (Array.isArray(list)) itemsRead += list.length;
    }
    return output;
  };
  const counter: DynamoCounter = {
    snapshot() {
      const commands = Object.fromEntries([...byCommand].sort((a, b) => b[1] - a[1]));
      let reads = 0;
      let operations = 0;
      for (const [name, n] of byCommand) {
        operations += n;
        if (READS.has(name)) reads += n;
      }
      return { operations, reads, writes: operations - reads, itemsRead, byCommand: commands };
    },
    reset() {
      byCommand = new Map();
      itemsRead = 0;
    },
    uninstall() {
      if (hadOwn) proto.send = original;
      else delete (proto as { send?: Send }).send;
      installed = null;
    },
  };
  installed = counter;
  return counter;
}
