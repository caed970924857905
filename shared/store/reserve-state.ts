/**
 * What Goodwix was last told about each product's `Integration` reserves, per plan: a short hash
 * of the reserves (1C order ref and quantity, sorted) and the Goodwix product id, per 1C product
 * (`nomenclature/characteristic`). The run's reconciliation compares 1C's reserves with it and
 * writes to Goodwix only the products that differ; a product without reserves has no entry.
 *
 * Kept compactly in RESERVE_SHARDS items (`RESERVES#00`…`RESERVES#15`), each one string
 * attribute of `product\thash\tgoodwixId` lines, the shard chosen by a hash of the product: one
 * BatchGetItem reads them all, and a run writes only the shards whose products changed (an idle
 * run writes none). A line is ~95 bytes, so a shard stays under DynamoDB's 400 KB up to about
 * 4,000 products with reserves, 64,000 for the plan: far beyond the warehouses it is made for;
 * past SHARD_BUDGET_BYTES a save fails loudly (`SYNC_RESERVE_STATE_TOO_LARGE`) rather than let
 * DynamoDB refuse it half-way.
 *
 * The state only knows what this exchange told Goodwix. Integration reserves Goodwix showed
 * before it (a plan's first run after the upgrade, or a state lost) would never be compared, so
 * the state is seeded once from Goodwix's own reserves of the catalog (shared/sync/reserves.ts
 * `seedReserveState`): `RESERVES#SEED` says it was (`seededAt`), or how far a seed of run
 * `seedRun` got (`seedCursor`, the next page of the catalog's products). With the shards gone
 * and the marker gone, the next run seeds again; the marker alone gone, a reseed is harmless.
 * The marker also names the Goodwix catalog the state is about (`goodwixCatalog`): a plan moved
 * to another catalog has its state started over (`reset`), and a plan deleted loses it (`clear`).
 */
import { createHash } from 'node:crypto';
import { BatchGetCommand, DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mapLimited } from '#platform/concurrency';
import type { StoreContext } from './client.ts';
import { ReserveStateTooLargeError, toStoreError } from './errors.ts';
import { keys } from './table.ts';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem'] as const;

export const RESERVE_SHARDS = 16;
/** Far below DynamoDB's 400 KB item limit (key attributes and UTF-8 overhead included). */
export const SHARD_BUDGET_BYTES = 350_000;

export interface ReserveStateEntry {
  /** `reserveHash` of what Goodwix was told */
  readonly hash: string;
  /** The Goodwix product the reserves were written to */
  readonly goodwixId: string;
}

/** `nomenclature/characteristic` → entry; a product absent had no reserves when Goodwix was last told. */
export type ReserveState = Map<string, ReserveStateEntry>;

/** Whether the state was seeded from Goodwix's reserves; if not, where a seed by `run` stopped. */
export interface ReserveSeed {
  readonly seeded: boolean;
  /** The run whose seed stopped at `cursor` (a seed another run began starts over) */
  readonly run: string | null;
  /** The next page of the catalog's products to read (null: the first) */
  readonly cursor: string | null;
  /** The Goodwix catalog the state is about (`reserveCatalog` of the plan); null before it was kept */
  readonly catalog: string | null;
}


/** A product's reserves as one short string: equal reserves, equal hash, in any order. */
export function reserveHash(reserves: ReadonlyMap<string, string>): string {
  const lines = [...reserves].map(([order, quantity]) => `${order}=${quantity}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('base64url').slice(0, 16);
}

export function shardOf(product: string): number {
  return createHash('sha256').update(product).digest()[0]! % RESERVE_SHARDS;
}

const shardSk = (shard: number) => keys.reserveStateSk(shard);

function parse(text: string, into: ReserveState): void {
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [product, hash, goodwixId] = line.split('\t');
    if (product && hash && goodwixId) into.set(product, { hash, goodwixId });
  }
}

export class ReserveStateRepository {
  constructor(private readonly store: StoreContext) {}

  /** The whole state of a plan: one BatchGetItem (the shards that do not exist yet are empty). */
  async load(planId: string): Promise<ReserveState> {
    return (await this.loadWithSeed(planId)).state;
  }

  /** The state and its seed marker, in the same BatchGetItem. */
  async loadWithSeed(planId: string): Promise<{ state: ReserveState; seed: ReserveSeed }> {
    const state: ReserveState = new Map();
    let seed: ReserveSeed = { seeded: false, run: null, cursor: null, catalog: null };
    let keysLeft: Record<string, unknown>[] = [
      ...Array.from({ length: RESERVE_SHARDS }, (_, i) => ({ pk: keys.planPk(planId), sk: shardSk(i) })),
      { pk: keys.planPk(planId), sk: keys.reserveSeedSk },
    ];
    for (let attempt = 1; keysLeft.length > 0; attempt += 1) {
      try {
        const result = await this.store.client.send(new BatchGetCommand({
          RequestItems: { [this.store.tableName]: { Keys: keysLeft, ConsistentRead: true, ProjectionExpression: 'sk, entries, seededAt, seedRun, seedCursor, goodwixCatalog' } },
        }));
        for (const item of result.Responses?.[this.store.tableName] ?? []) {
          if (item.sk === keys.reserveSeedSk) {
            seed = {
              seeded: typeof item.seededAt === 'string',
              run: typeof item.seedRun === 'string' ? item.seedRun : null,
              cursor: typeof item.seedCursor === 'string' ? item.seedCursor : null,
              catalog: typeof item.goodwixCatalog === 'string' ? item.goodwixCatalog : null,
            };
          } else parse(String(item.entries ?? ''), state);
        }
        keysLeft = (result.UnprocessedKeys?.[this.store.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      } catch (error) {
        throw toStoreError(error, 'read reserve state', { planId });
      }
      if (keysLeft.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
    }
    return { state, seed };
  }

  /**
   * Records a seed's progress: `cursor` the next page of run `runId`'s seed, or (null) the seed
   * done. Written after the page's entries are saved, so a crash between redoes a page, harmlessly.
   * `catalog` names the Goodwix catalog the state is about.
   */
  async saveSeed(planId: string, runId: string, cursor: string | null, now: Date, catalog: string): Promise<void> {
    const item: Record<string, unknown> = { pk: keys.planPk(planId), sk: keys.reserveSeedSk, seedRun: runId, goodwixCatalog: catalog, updatedAt: now.toISOString() };
    if (cursor === null) item.seededAt = now.toISOString();
    else item.seedCursor = cursor;
    try {
      await this.store.client.send(new PutCommand({ TableName: this.store.tableName, Item: item }));
    } catch (error) {
      throw toStoreError(error, 'write reserve state seed', { planId });
    }
  }

  /**
   * Starts the state over for `catalog`: the shards deleted, then a seed marker naming the catalog
   * and no seed yet, so the next seed (run `runId`'s, from the first page) reads that catalog's
   * reserves. Deleting first makes a crash half-way harmless: the marker still names the old
   * catalog, and the next finalize starts over again.
   */
  async reset(planId: string, runId: string, catalog: string, now: Date): Promise<void> {
    await this.deleteShards(planId);
    try {
      await this.store.client.send(new PutCommand({
        TableName: this.store.tableName,
        Item: { pk: keys.planPk(planId), sk: keys.reserveSeedSk, seedRun: runId, goodwixCatalog: catalog, updatedAt: now.toISOString() },
      }));
    } catch (error) {
      throw toStoreError(error, 'write reserve state seed', { planId });
    }
  }

  /** Removes the plan's whole state, its seed marker last (a plan deleted). */
  async clear(planId: string): Promise<void> {
    await this.deleteShards(planId);
    await this.deleteItem(planId, keys.reserveSeedSk);
  }

  private async deleteShards(planId: string): Promise<void> {
    await mapLimited(Array.from({ length: RESERVE_SHARDS }, (_, i) => i), 4, (shard) => this.deleteItem(planId, shardSk(shard)));
  }

  private async deleteItem(planId: string, sk: string): Promise<void> {
    try {
      await this.store.client.send(new DeleteCommand({ TableName: this.store.tableName, Key: { pk: keys.planPk(planId), sk } }));
    } catch (error) {
      throw toStoreError(error, 'delete reserve state', { planId });
    }
  }

  /**
   * Applies `changes` (null: the product has no reserves any more) to `state` and writes the
   * shards where something changed, whole. Only the run's finalizer writes (it holds the plan's lock and the
   * run's finalize claim), so a read-modify-write of whole shards is safe.
   */
  async save(planId: string, state: ReserveState, changes: ReadonlyMap<string, ReserveStateEntry | null>, now: Date): Promise<void> {
    const touched = new Set<number>();
    for (const [product, entry] of changes) {
      const before = state.get(product);
      // Only a real change costs a write (the run's products mostly hold no reserves).
      if (entry ? before?.hash === entry.hash && before.goodwixId === entry.goodwixId : before === undefined) continue;
      if (entry) state.set(product, entry);
      else state.delete(product);
      touched.add(shardOf(product));
    }
    if (touched.size === 0) return;
    const lines = new Map<number, string[]>();
    for (const [product, entry] of state) {
      const shard = shardOf(product);
      if (!touched.has(shard)) continue;
      const list = lines.get(shard) ?? [];
      list.push(`${product}\t${entry.hash}\t${entry.goodwixId}`);
      lines.set(shard, list);
    }
    // Every shard checked before any is written: a refused save leaves the stored state as it was.
    const texts = new Map<number, string>();
    for (const shard of touched) {
      const entries = (lines.get(shard) ?? []).sort().join('\n');
      const bytes = Buffer.byteLength(entries);
      if (bytes > SHARD_BUDGET_BYTES) throw new ReserveStateTooLargeError(`reserve state of plan ${planId}: shard ${shard} would take ${bytes} bytes (budget ${SHARD_BUDGET_BYTES})`, { context: { planId, shard, bytes } });
      texts.set(shard, entries);
    }
    for (const [shard, entries] of texts) {
      try {
        await this.store.client.send(new PutCommand({
          TableName: this.store.tableName,
          Item: { pk: keys.planPk(planId), sk: shardSk(shard), entries, products: lines.get(shard)?.length ?? 0, updatedAt: now.toISOString() },
        }));
      } catch (error) {
        throw toStoreError(error, 'write reserve state', { planId });
      }
    }
  }
}
