/**
 * Every AWS adapter lists the IAM actions it performs, and the list holds what its code sends:
 * a command added without its action fails here, before the IAM coverage test or AWS finds it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { adapterModules, adapterTable } from '#test/adapters';

const root = resolve(import.meta.dirname, '../..');
const adapters = await adapterModules();

/** The single-item commands and the action IAM authorises each as (transactions: per item, below). */
const ACTION_OF_COMMAND: Readonly<Record<string, string>> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  SendMessageCommand: 'sqs:SendMessage',
  SendMessageBatchCommand: 'sqs:SendMessage',
  ChangeMessageVisibilityCommand: 'sqs:ChangeMessageVisibility',
  PutEventsCommand: 'events:PutEvents',
  GetSecretValueCommand: 'secretsmanager:GetSecretValue',
};
const TRANSACT_ITEM_ACTION: Readonly<Record<string, string>> = { Put: 'dynamodb:PutItem', Update: 'dynamodb:UpdateItem', Delete: 'dynamodb:DeleteItem', ConditionCheck: 'dynamodb:ConditionCheckItem' };

/** The actions a module's source shows it needs: the commands it constructs, a transaction's item kinds. */
function actionsInSource(file: string): string[] {
  const source = readFileSync(join(root, file), 'utf8');
  const out = new Set<string>();
  for (const [, command] of source.matchAll(/new (\w+Command)\(/g)) {
    const action = ACTION_OF_COMMAND[command!];
    assert.ok(action || command === 'TransactWriteCommand', `${file}: ${command} has no IAM action in this test's table; add it`);
    if (action) out.add(action);
  }
  if (source.includes('new TransactWriteCommand(')) {
    for (const [kind, action] of Object.entries(TRANSACT_ITEM_ACTION)) if (new RegExp(`\\b${kind}: \\{`).test(source)) out.add(action);
  }
  return [...out].sort();
}

describe('AWS adapters declare the IAM actions they perform', () => {
  test('each adapter that sends commands lists exactly the actions they need', () => {
    // Prepare
    const senders = adapters.filter((a) => actionsInSource(a.file).length > 0);
    assert.ok(senders.length >= 10, `adapters found: ${senders.map((a) => a.file).join(', ')}`);
    // Assess
    for (const adapter of senders) {
      const needed = actionsInSource(adapter.file);
      const declared = [...adapter.actions].sort();
      assert.deepEqual(declared, needed, `${adapter.file}: declared IAM actions against what its commands need`);
    }
  });

  test('an adapter that sends no command of ours declares only what Lambda or Powertools does for it', () => {
    const others = adapters.filter((a) => a.actions.length > 0 && actionsInSource(a.file).length === 0);
    for (const adapter of others) assert.deepEqual(adapter.actions.filter((a) => !isStreamOrSecret(a)), [], adapter.file);
  });

  test('docs/deploy.md lists the adapters and their actions as declared', () => {
    const deploy = readFileSync(join(root, 'docs/deploy.md'), 'utf8');
    const table = /<!-- adapters:start[^>]*-->\n([\s\S]*?)\n<!-- adapters:end -->/.exec(deploy)?.[1];
    assert.equal(table, adapterTable(adapters), `paste between the adapters markers of docs/deploy.md:\n${adapterTable(adapters)}`);
  });
});

describe('each kind of item has one writer', () => {
  test("a run's items (the run, its order entries, its products) are keyed by one adapter alone", () => {
    // Prepare: every production module that builds the key of one of a run's items, to read or write it
    const production = ['shared', 'functions', 'local'].flatMap((dir) => sourceFiles(dir));
    // Act
    const keyers = production.filter((file) => /keys\.(runSk|runOrderSk|runProductSk)\(/.test(readFileSync(join(root, file), 'utf8')));
    // Assess: two writers of the run item would each have to know the other's attributes and conditions
    assert.deepEqual(keyers, ['shared/store/runs.ts']);
  });
});

/** Every TypeScript module under `dir`, repository-relative. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.split('/').includes('node_modules'))
    .map((f) => `${dir}/${f}`)
    .sort();
}

/** Reads made for a function by Lambda or Powertools rather than by a command of ours. */
function isStreamOrSecret(action: string): boolean {
  return /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(action) || action === 'secretsmanager:GetSecretValue';
}
