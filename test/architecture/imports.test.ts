/**
 * The layout's rules (docs/architecture.md), read off the sources: what may import what.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { importCycles, importGraph, type ModuleImports } from '#test/imports';

const graph = importGraph();
const STAGES = resolve(import.meta.dirname, '../../shared/exchange');
/** The flow of a run, in order (docs/architecture.md). */
const FLOW = ['tick.ts', 'start-run.ts', 'collect.ts', 'sync-order.ts', 'finalize.ts', 'run-events.ts'];
const stageOf = (file: string) => FLOW.indexOf(basename(file));
const folderOf = (file: string) => file.split('/').slice(0, 2).join('/');

/** Modules of `from` importing anything matched by `forbidden`, as "module → import" lines. */
function violations(from: (m: ModuleImports) => boolean, forbidden: (target: string) => boolean): string[] {
  return graph.filter(from).flatMap((m) => [...m.local, ...m.packages].filter(forbidden).map((t) => `${m.file} → ${t}`));
}

describe('architecture: what may import what', () => {
  test('no import cycle anywhere in the production code, type imports included', () => {
    // Act
    const cycles = importCycles(graph);
    // Assess
    assert.deepEqual(cycles, [], `cycles:\n${cycles.map((c) => c.join(' ⇄ ')).join('\n')}`);
  });

  test('the graph reads real imports (a known edge is there)', () => {
    // Guards the rules below against a parser that finds nothing.
    const sync = graph.find((m) => m.file === 'shared/sync/order-sync.ts');
    assert.ok(sync?.local.includes('shared/core/merge.ts'), 'order-sync imports the merge');
    assert.ok(graph.find((m) => m.file === 'shared/store/bindings.ts')?.packages.includes('@aws-sdk/lib-dynamodb'));
  });

  test('DynamoDB is reached only through shared/store', () => {
    const dynamo = (t: string) => /^@aws-sdk\/(client-dynamodb|lib-dynamodb|util-dynamodb)$/.test(t);
    assert.deepEqual(violations((m) => folderOf(m.file) !== 'shared/store', dynamo), []);
  });

  test('SQS, EventBridge and Secrets Manager are reached only through shared/aws', () => {
    const other = (t: string) => /^@aws-sdk\/client-(sqs|eventbridge|secrets-manager)$/.test(t);
    assert.deepEqual(violations((m) => folderOf(m.file) !== 'shared/aws', other), []);
  });

  test('the domain, the protocol clients and the platform import no adapter, use case or function', () => {
    const lower = new Set(['shared/core', 'shared/platform', 'shared/onec', 'shared/goodwix', 'shared/plans', 'shared/secrets']);
    const upper = (t: string) => /^(shared\/(store|aws|sync|runs|exchange)|functions|local)\//.test(t);
    assert.deepEqual(violations((m) => lower.has(folderOf(m.file)), upper), []);
  });

  test('the platform imports nothing of the project but itself', () => {
    const outside = (t: string) => /^(shared|functions|local)\//.test(t) && !t.startsWith('shared/platform/');
    assert.deepEqual(violations((m) => folderOf(m.file) === 'shared/platform', outside), []);
  });

  test('the DynamoDB adapters use no use case: shared/store imports only the domain, plans and the platform', () => {
    const outside = (t: string) => /^(shared|functions|local)\//.test(t) && !/^shared\/(store|core|plans|platform)\//.test(t);
    assert.deepEqual(violations((m) => folderOf(m.file) === 'shared/store', outside), []);
  });

  test('the domain core is pure: it imports only itself and the platform', () => {
    const outside = (t: string) => t.startsWith('@aws-sdk/') || (/^(shared|functions|local)\//.test(t) && !/^shared\/(core|platform)\//.test(t));
    assert.deepEqual(violations((m) => folderOf(m.file) === 'shared/core', outside), []);
  });

  test('the stages are one folder, a file each, each opening with its place in the flow', () => {
    // Assess
    const stages = readdirSync(STAGES).filter((f) => f.endsWith('.ts')).sort((a, b) => stageOf(a) - stageOf(b));
    assert.deepEqual(stages, FLOW);
    for (const [i, file] of FLOW.entries()) {
      const first = readFileSync(join(STAGES, file), 'utf8').split('\n', 1)[0]!;
      assert.match(first, new RegExp(`^// Stage ${i + 1} of ${FLOW.length}, [^:]+: takes .+\\bhands?\\b`), `${file} opens with where it sits and what it hands on`);
    }
  });

  test('a stage hands on forward: it never imports an earlier stage', () => {
    const back = graph
      .filter((m) => m.file.startsWith('shared/exchange/'))
      .flatMap((m) => m.local.filter((t) => t.startsWith('shared/exchange/') && stageOf(t) < stageOf(m.file)).map((t) => `${m.file} → ${t}`));
    assert.deepEqual(back, []);
  });

  test('handlers reach AWS only through the adapters', () => {
    assert.deepEqual(violations((m) => m.file.startsWith('functions/'), (t) => t.startsWith('@aws-sdk/')), []);
  });
});
