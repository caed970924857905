/**
 * The per-plan reserve state in DynamoDB Local: what Goodwix was last told, per product, in a
 * fixed number of shard items — read in one go, written only where something changed, refused
 * before an item would outgrow its budget.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '#store/table';
import { ReserveStateRepository, RESERVE_SHARDS, reserveHash, shardOf } from '#store/reserve-state';
import { useDynamoDb } from '#test/dynamodb';

const dynamo = useDynamoDb();
const product = (n: number) => `6b2a1d3e-0000-4000-8000-${n.toString(16).padStart(12, '0')}/7c3b2e4f-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

describe('reserve state', () => {
  test('saved and loaded back; products without reserves leave it; only shards with a real change are written', async () => {
    const store = await dynamo.newStore();
    const repo = new ReserveStateRepository(store);
    const state = await repo.load('p1');
    assert.equal(state.size, 0);
    const told = new Map(Array.from({ length: 3000 }, (_, i) => [product(i + 1), { hash: reserveHash(new Map([[`order-${i}`, '3.000']])), goodwixId: String(200_001 + i) }] as const));
    await repo.save('p1', state, told, new Date());

    const loaded = await repo.load('p1');
    assert.deepEqual(loaded, told);
    const items = await store.client.send(new QueryCommand({ TableName: store.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': keys.planPk('p1'), ':sk': 'RESERVES#' } }));
    assert.equal(items.Items?.length, RESERVE_SHARDS);
    assert.ok(items.Items!.every((i) => Buffer.byteLength(String(i.entries)) < 400_000 / 4), 'each shard far below 400 KB');

    // The same again, plus products that had and have no reserves: nothing to write.
    const before = new Map(items.Items!.map((i) => [String(i.sk), String(i.updatedAt)]));
    await repo.save('p1', loaded, new Map([...told, [product(9999), null]]), new Date(Date.now() + 60_000));
    const again = await store.client.send(new QueryCommand({ TableName: store.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': keys.planPk('p1'), ':sk': 'RESERVES#' } }));
    assert.deepEqual(new Map(again.Items!.map((i) => [String(i.sk), String(i.updatedAt)])), before, 'no shard rewritten');

    // One product's reserve gone: its entry leaves, its shard alone is written.
    await repo.save('p1', loaded, new Map([[product(1), null]]), new Date(Date.now() + 120_000));
    const after = await store.client.send(new QueryCommand({ TableName: store.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': keys.planPk('p1'), ':sk': 'RESERVES#' } }));
    const rewritten = after.Items!.filter((i) => before.get(String(i.sk)) !== String(i.updatedAt)).map((i) => String(i.sk));
    assert.deepEqual(rewritten, [keys.reserveStateSk(shardOf(product(1)))]);
    const reloaded = await repo.load('p1');
    assert.equal(reloaded.size, 2999);
    assert.equal(reloaded.has(product(1)), false);
    assert.equal((await repo.load('another-plan')).size, 0, 'per plan');
  });

  test('the seed marker: unseeded at first, a stopped seed\'s run, cursor and catalog, then seeded; read with the shards, per plan', async () => {
    const store = await dynamo.newStore();
    const repo = new ReserveStateRepository(store);
    assert.deepEqual((await repo.loadWithSeed('p3')).seed, { seeded: false, run: null, cursor: null, catalog: null });
    await repo.save('p3', await repo.load('p3'), new Map([[product(7), { hash: 'h1', goodwixId: '7' }]]), new Date());

    await repo.saveSeed('p3', 'run-1', 'page-2', new Date(), 'https://goodwix.example#2369');
    assert.deepEqual((await repo.loadWithSeed('p3')).seed, { seeded: false, run: 'run-1', cursor: 'page-2', catalog: 'https://goodwix.example#2369' });
    await repo.saveSeed('p3', 'run-1', null, new Date(), 'https://goodwix.example#2369');

    const { state, seed } = await repo.loadWithSeed('p3');
    assert.deepEqual(seed, { seeded: true, run: 'run-1', cursor: null, catalog: 'https://goodwix.example#2369' });
    assert.deepEqual([...state], [[product(7), { hash: 'h1', goodwixId: '7' }]], 'the marker is no shard');
    assert.equal((await repo.loadWithSeed('p4')).seed.seeded, false, 'per plan');
  });

  test('a reset starts the state over for another catalog: no shard left, unseeded, the catalog named', async () => {
    // Prepare: a seeded state of products in several shards
    const store = await dynamo.newStore();
    const repo = new ReserveStateRepository(store);
    const entries = new Map(Array.from({ length: 40 }, (_, i) => [product(i), { hash: `h${i}`, goodwixId: String(i) }] as const));
    await repo.save('p5', await repo.load('p5'), entries, new Date());
    await repo.saveSeed('p5', 'run-1', null, new Date(), 'https://goodwix.example#2369');
    // Act
    await repo.reset('p5', 'run-2', 'https://goodwix.example#2370', new Date());
    // Assess
    const { state, seed } = await repo.loadWithSeed('p5');
    assert.deepEqual({ products: state.size, seed }, { products: 0, seed: { seeded: false, run: 'run-2', cursor: null, catalog: 'https://goodwix.example#2370' } });
  });

  test('the hash does not depend on the order of the 1C orders, and tells quantities apart', () => {
    assert.equal(reserveHash(new Map([['a', '1.000'], ['b', '2.000']])), reserveHash(new Map([['b', '2.000'], ['a', '1.000']])));
    assert.notEqual(reserveHash(new Map([['a', '1.000']])), reserveHash(new Map([['a', '2.000']])));
  });

  test('a shard that would outgrow its budget is refused, naming the plan and the shard, before anything is written', async () => {
    const store = await dynamo.newStore();
    const repo = new ReserveStateRepository(store);
    const huge = new Map(Array.from({ length: 80_000 }, (_, i) => [product(i + 1), { hash: 'h'.repeat(16), goodwixId: String(i) }] as const));
    await assert.rejects(repo.save('p2', await repo.load('p2'), huge, new Date()), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'SYNC_RESERVE_STATE_TOO_LARGE');
      assert.match(error.message, /plan p2: shard \d+/);
      return true;
    });
  });
});
