/**
 * The binding: the link between a Goodwix order and its 1C document, with the base snapshot
 * (the canonical order both sides last agreed on) and the versions of both sides at that
 * moment. It is also the order's sync record: when, what changed, which side won, last error.
 *
 * Item `PLAN#<planId>` / `ORDER#<orderId>`. While the order still needs the exchange (open in
 * 1C, or parked before it reached 1C) it carries the open-bindings index keys, so a run reads
 * what it must probe without loading snapshots. Writes are conditional on the revision read,
 * and on the 1C version the merge was computed from: a merge made from stale data loses.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AffectedProduct, CanonicalLine, CanonicalOrder, OrderStatus } from '#core/canonical';
import { cutText } from '#platform/limits';
import type { Conflict } from '#core/merge';
import type { StoreContext } from './client.ts';
import { BindingRaceLostError, isConditionFailure, toStoreError } from './errors.ts';
import { withoutKeys } from './items.ts';
import { decodeCursor, encodeCursor, type Page } from './paging.ts';
import { keys, OPEN_BINDINGS_INDEX, STUCK_ORDERS_INDEX } from './table.ts';

/** The IAM actions this adapter's calls need (test/infra/iam-coverage.test.ts holds the stack's grants to them). */
export const IAM_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] as const;

export interface OneCDocumentRef {
  readonly ref: string;
  readonly number: string;
  readonly date: string | null;
}

/** Why an order waits for a person (or for the next run): the error that parked it. */
export interface ParkedState {
  readonly code: string;
  readonly message: string;
  readonly since: string;
  readonly attempts: number;
  readonly runId: string | null;
}

/** Set aside by a person (`POST /plans/{id}/orders/{orderId}/dismiss`): no run retries the order until a resync. */
export interface DismissedState {
  /** The caller identity of the request (an IAM ARN, or the local runtime's user) */
  readonly by: string;
  readonly at: string;
}

/**
 * What the exchange is about to write into 1C, recorded before the write (a create's POST, an
 * update's PATCH): a retry after a lost answer or a kill finds the order by it and merges
 * three-way against it, whether the write landed or not.
 */
export interface OneCIntent {
  readonly at: string;
  /** The 1C order written: the Ref_Key the exchange chose before a create, or the bound one */
  readonly ref: string;
  /** A create's document date and partner: how the order is found if a manager changed its key */
  readonly date: string | null;
  readonly partner: string | null;
  /** The base once 1C holds the write: what Goodwix showed, tied to the rows as sent */
  readonly base: CanonicalOrder;
  /** The lines as sent to 1C, each tied to the КодСтроки it was sent with */
  readonly sent: readonly CanonicalLine[];
}

export type SyncOutcome = 'exported' | 'adopted' | 'updated' | 'unchanged' | 'skipped' | 'parked';

/** One exchange of the order, as the sync record shows it. */
export interface SyncEntry {
  readonly at: string;
  readonly runId: string | null;
  readonly outcome: SyncOutcome;
  /** Field changes carried to 1C, to Goodwix; conflicts 1C won */
  readonly toOneC: number;
  readonly toGoodwix: number;
  readonly conflicts: number;
  /** Cut to MAX_STORED_MESSAGE_BYTES (`… [cut, N bytes]`) when stored */
  readonly message?: string;
  /**
   * Products whose reserves the exchange moved: a redelivery of the same run's message after
   * the attempt that wrote this entry died reports them again, so the run refreshes them. Only
   * the newest entry keeps them (only it is read back); stored compressed.
   */
  readonly products?: readonly AffectedProduct[];
}

export interface Binding {
  readonly planId: string;
  readonly orderId: string;
  /** Absent until the order reached 1C */
  readonly onec: OneCDocumentRef | null;
  readonly base: CanonicalOrder | null;
  readonly onecDataVersion: string | null;
  /** Fingerprint of the order's shipments at the base (they do not move the order's DataVersion) */
  readonly onecShipments: string | null;
  readonly goodwixVersion: number | null;
  /** The status Goodwix shows, as the exchange last set or saw it */
  readonly status: OrderStatus | null;
  /**
   * The status 1C's state gave when both sides last agreed (absent on older items): whether 1C
   * moved since, which decides between a Goodwix decision and 1C's state (`#core/status`).
   */
  readonly onecStatus?: OrderStatus | null;
  /**
   * A fully shipped order: watched until this instant (its last shipment plus the plan's
   * `watchDaysAfterShipment`), then closed by the listing of open bindings.
   */
  readonly watchUntil?: string | null;
  /** 1C created the document but refused to post it: the next exchange posts it again */
  readonly needsPosting: boolean;
  /** Still exchanged: false once closed, rejected or cancelled, or shipped and past its watch (`watchUntil`) */
  readonly open: boolean;
  readonly parked: ParkedState | null;
  /** Set aside by a person: not retried, out of the open index, until a resync brings it back */
  readonly dismissed?: DismissedState | null;
  /** A write into 1C whose outcome the binding does not know yet (absent on older items) */
  readonly intent?: OneCIntent | null;
  /** The last conflicts 1C won, newest first */
  readonly conflicts: readonly (Conflict & { readonly at: string })[];
  readonly history: readonly SyncEntry[];
  readonly revision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What the collector needs of an open binding, from the index alone. */
export interface OpenBinding {
  readonly orderId: string;
  readonly onecRef: string | null;
  readonly onecDataVersion: string | null;
  readonly onecShipments: string | null;
  readonly goodwixVersion: number | null;
  readonly parked: boolean;
}

const MAX_HISTORY = 20;
const MAX_CONFLICTS = 20;

export function newBinding(planId: string, orderId: string, now: Date): Binding {
  return {
    planId,
    orderId,
    onec: null,
    base: null,
    onecDataVersion: null,
    onecShipments: null,
    goodwixVersion: null,
    status: null,
    onecStatus: null,
    watchUntil: null,
    needsPosting: false,
    open: true,
    parked: null,
    conflicts: [],
    history: [],
    revision: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

/**
 * The binding with one more sync entry (and conflicts), bounded: 20 entries, products on the
 * newest only, so a long-lived order of many products does not grow its item.
 */
export function withEntry(binding: Binding, entry: SyncEntry, conflicts: readonly Conflict[] = []): Binding {
  const older = binding.history.slice(0, MAX_HISTORY - 1).map(({ products: _products, ...rest }) => rest);
  return {
    ...binding,
    history: [entry, ...older],
    conflicts: [...conflicts.map((c) => ({ ...c, at: entry.at })), ...binding.conflicts].slice(0, MAX_CONFLICTS),
  };
}

/** The binding with the conflicts 1C won recorded (bounded), without a sync entry yet. */
export function withConflicts(binding: Binding, conflicts: readonly Conflict[], at: string): Binding {
  return conflicts.length === 0 ? binding : { ...binding, conflicts: [...conflicts.map((c) => ({ ...c, at })), ...binding.conflicts].slice(0, MAX_CONFLICTS) };
}

export class BindingRepository {
  constructor(private readonly store: StoreContext) {}

  async get(planId: string, orderId: string): Promise<Binding | null> {
    try {
      const { Item } = await this.store.client.send(
        new GetCommand({ TableName: this.store.tableName, Key: { pk: keys.planPk(planId), sk: keys.bindingSk(orderId) }, ConsistentRead: true }),
      );
      return Item ? fromItem(Item) : null;
    } catch (error) {
      throw toStoreError(error, 'get binding', { planId, orderId });
    }
  }

  /**
   * Writes `next` if the stored binding is still at `previous` (same revision, same 1C version
   * the merge started from), or absent when `previous` is null. Throws BindingRaceLostError
   * otherwise: the caller merges again from fresh data.
   */
  async save(next: Binding, previous: Binding | null): Promise<Binding> {
    const stored: Binding = { ...next, revision: (previous?.revision ?? 0) + 1 };
    const condition = previous
      ? { ConditionExpression: '#revision = :revision AND (attribute_not_exists(#v) OR #v = :v)', ExpressionAttributeNames: { '#revision': 'revision', '#v': 'onecDataVersion' }, ExpressionAttributeValues: { ':revision': previous.revision, ':v': previous.onecDataVersion } }
      : { ConditionExpression: 'attribute_not_exists(pk)' };
    try {
      await this.store.client.send(new PutCommand({ TableName: this.store.tableName, Item: toItem(stored), ...condition }));
      return stored;
    } catch (error) {
      if (isConditionFailure(error)) throw new BindingRaceLostError(next.planId, next.orderId, { cause: error });
      throw toStoreError(error, 'save binding', { planId: next.planId, orderId: next.orderId });
    }
  }

  /**
   * The Goodwix version each of these orders' bindings recorded (absent: no binding), read in
   * batches of 100 without the snapshots: how the collector tells the exchange's own Goodwix
   * updates, which come back through the change feed, from real changes.
   */
  async goodwixVersions(planId: string, orderIds: readonly string[]): Promise<Map<string, { goodwixVersion: number | null; parked: boolean }>> {
    const out = new Map<string, { goodwixVersion: number | null; parked: boolean }>();
    const items = await this.readBindingFields(planId, orderIds, { ProjectionExpression: 'orderId, goodwixVersion, parkedCode' }, 'read binding versions');
    for (const item of items) out.set(String(item['orderId']), { goodwixVersion: (item['goodwixVersion'] as number | null | undefined) ?? null, parked: Boolean(item['parkedCode']) });
    return out;
  }

  /**
   * Open bindings of a plan, a page at a time, from the index (no snapshots read). A shipped
   * order whose watch ended by `at` (default: now) is closed here and left out: whether a
   * binding is probed is decided by the binding, whoever lists them.
   */
  async listOpen(planId: string, request: { cursor?: string; limit?: number; at?: Date } = {}): Promise<Page<OpenBinding>> {
    const pk = keys.openBindingsPk(planId);
    try {
      const startKey = decodeCursor(request.cursor, { index: OPEN_BINDINGS_INDEX, partition: pk, sortPrefix: '' });
      const result = await this.store.client.send(
        new QueryCommand({
          TableName: this.store.tableName,
          IndexName: OPEN_BINDINGS_INDEX.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': OPEN_BINDINGS_INDEX.partitionKey },
          ExpressionAttributeValues: { ':pk': pk },
          Limit: request.limit ?? 500,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const all = (result.Items ?? []).map((item) => ({
        orderId: String(item.orderId),
        onecRef: (item.onecRef as string | undefined) ?? null,
        onecDataVersion: (item.onecDataVersion as string | undefined) ?? null,
        onecShipments: (item.onecShipments as string | undefined) ?? null,
        goodwixVersion: (item.goodwixVersion as number | undefined) ?? null,
        parked: Boolean(item.parkedCode),
        shipped: item.status === 'shipped',
      }));
      const ended = await this.closeEndedWatches(planId, all.filter((b) => b.shipped).map((b) => b.orderId), request.at ?? new Date());
      const items = all.filter((b) => !ended.has(b.orderId)).map(({ shipped: _shipped, ...b }) => b);
      const nextCursor = encodeCursor(result.LastEvaluatedKey);
      return { items, ...(nextCursor ? { nextCursor } : {}) };
    } catch (error) {
      throw toStoreError(error, 'list open bindings', { planId });
    }
  }

  /**
   * How many of the plan's orders are parked (dismissed ones not counted) and since when the
   * oldest is: from the sparse stuck-orders index, sorted by since, so the oldest is one item.
   */
  async parkedSummary(planId: string): Promise<{ parked: number; oldestSince: string | null }> {
    const query = (extra: Record<string, unknown>) =>
      new QueryCommand({
        TableName: this.store.tableName,
        IndexName: STUCK_ORDERS_INDEX.name,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :parked)',
        ExpressionAttributeNames: { '#pk': STUCK_ORDERS_INDEX.partitionKey, '#sk': STUCK_ORDERS_INDEX.sortKey },
        ExpressionAttributeValues: { ':pk': keys.stuckOrdersPk(planId), ':parked': 'parked#' },
        ...extra,
      });
    try {
      const oldest = await this.store.client.send(query({ Limit: 1 }));
      const first = oldest.Items?.[0];
      if (!first) return { parked: 0, oldestSince: null };
      let parked = 0;
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.store.client.send(query({ Select: 'COUNT', ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
        parked += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return { parked, oldestSince: (first['parked'] as ParkedState | undefined)?.since ?? null };
    } catch (error) {
      throw toStoreError(error, 'count parked orders', { planId });
    }
  }

  /**
   * A few fields of these orders' bindings (no snapshots), read in batches of 100 with
   * BatchGetItem; throttled keys come back unprocessed and are asked for again after a short wait.
   */
  private async readBindingFields(
    planId: string,
    orderIds: readonly string[],
    projection: { ProjectionExpression: string; ExpressionAttributeNames?: Record<string, string> },
    operation: string,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < orderIds.length; i += 100) {
      let keysLeft: Record<string, unknown>[] = orderIds.slice(i, i + 100).map((id) => ({ pk: keys.planPk(planId), sk: keys.bindingSk(id) }));
      for (let attempt = 1; keysLeft.length > 0; attempt += 1) {
        try {
          const result = await this.store.client.send(new BatchGetCommand({ RequestItems: { [this.store.tableName]: { Keys: keysLeft, ConsistentRead: true, ...projection } } }));
          items.push(...(result.Responses?.[this.store.tableName] ?? []));
          keysLeft = (result.UnprocessedKeys?.[this.store.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
        } catch (error) {
          throw toStoreError(error, operation, { planId });
        }
        if (keysLeft.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
      }
    }
    return items;
  }

  /**
   * Of these shipped orders' bindings, closes those whose watch ended by `at`: out of the
   * open-bindings index, `open` false, on condition nobody wrote the binding since it was read
   * (an exchange that just saw a new shipment keeps it watched). The watch's end is not in the
   * index (its projection is fixed once deployed), so it is read for the shipped ones only.
   */
  private async closeEndedWatches(planId: string, orderIds: readonly string[], at: Date): Promise<Set<string>> {
    const ended = new Set<string>();
    if (orderIds.length === 0) return ended;
    const items = await this.readBindingFields(
      planId,
      orderIds,
      { ProjectionExpression: 'orderId, watchUntil, revision, #open', ExpressionAttributeNames: { '#open': 'open' } },
      'read watch ends',
    );
    for (const item of items) {
      const until = item.watchUntil as string | null | undefined;
      if (!until || Date.parse(until) > at.getTime()) continue;
      const orderId = String(item.orderId);
      try {
        await this.store.client.send(
          new UpdateCommand({
            TableName: this.store.tableName,
            Key: { pk: keys.planPk(planId), sk: keys.bindingSk(orderId) },
            UpdateExpression: 'SET #open = :false, #revision = :next REMOVE gsi2pk, gsi2sk',
            ConditionExpression: '#revision = :revision AND #until = :until',
            ExpressionAttributeNames: { '#open': 'open', '#revision': 'revision', '#until': 'watchUntil' },
            ExpressionAttributeValues: { ':false': false, ':revision': item.revision, ':next': Number(item.revision) + 1, ':until': until },
          }),
        );
        ended.add(orderId);
      } catch (error) {
        // Written meanwhile: the exchange that wrote it decided; this run still probes it.
        if (isConditionFailure(error)) continue;
        throw toStoreError(error, 'close ended watch', { planId, orderId });
      }
    }
    return ended;
  }

  /** Every open binding of the plan, page by page (`at`: when watches are judged ended, default now). */
  async *allOpen(planId: string, options: { at?: Date } = {}): AsyncGenerator<OpenBinding> {
    let cursor: string | undefined;
    do {
      const page = await this.listOpen(planId, { ...(cursor ? { cursor } : {}), ...(options.at ? { at: options.at } : {}) });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

}

// ---- items ----------------------------------------------------------------------------------------

function toItem(b: Binding): Record<string, unknown> {
  const { base, onec, parked: parkedState, history: entries, intent, ...rest } = b;
  // Texts from 1C and Goodwix (a parked order's error, a refusal to post) can be any size.
  const parked = parkedState ? { ...parkedState, message: cutText(parkedState.message) } : null;
  const history = entries.map(({ products: _products, ...entry }) => (entry.message === undefined ? entry : { ...entry, message: cutText(entry.message) }));
  const newestProducts = entries[0]?.products;
  return {
    pk: keys.planPk(b.planId),
    sk: keys.bindingSk(b.orderId),
    ...(b.open && !b.dismissed ? { gsi2pk: keys.openBindingsPk(b.planId), gsi2sk: b.orderId } : {}),
    ...stuckKeys(b),
    ...rest,
    history,
    // What a redelivery needs of the newest entry: compressed, a few dozen bytes a product.
    newestProducts: newestProducts ? gzipSync(Buffer.from(JSON.stringify(newestProducts), 'utf8')) : null,
    onec,
    onecRef: onec?.ref,
    onecNumber: onec?.number,
    parked,
    parkedCode: parked?.code,
    // The snapshot can hold thousands of lines: compressed, it stays far below the item limit.
    base: base ? gzipSync(Buffer.from(JSON.stringify(base), 'utf8')) : null,
    // Two snapshots of the order: compressed like the base.
    intent: intent ? gzipSync(Buffer.from(JSON.stringify(intent), 'utf8')) : null,
  };
}

/** The stuck-orders index keys of a binding: dismissed (since when it was), or parked (since when), or none. */
export function stuckKeys(b: Pick<Binding, 'planId' | 'orderId' | 'parked' | 'dismissed'>): { gsi3pk?: string; gsi3sk?: string } {
  if (b.dismissed) return { gsi3pk: keys.stuckOrdersPk(b.planId), gsi3sk: keys.stuckOrderSk('dismissed', b.dismissed.at, b.orderId) };
  if (b.parked) return { gsi3pk: keys.stuckOrdersPk(b.planId), gsi3sk: keys.stuckOrderSk('parked', b.parked.since, b.orderId) };
  return {};
}

function fromItem(item: Record<string, unknown>): Binding {
  const { onecRef: _r, onecNumber: _n, parkedCode: _p, base, intent, newestProducts, history: stored, ...rest } = withoutKeys(item);
  // Items written before products moved out of the entries still carry them there.
  const history = ((stored ?? []) as SyncEntry[]).map((entry, i) =>
    i === 0 && newestProducts ? { ...entry, products: JSON.parse(gunzipSync(Buffer.from(newestProducts as Uint8Array)).toString('utf8')) as AffectedProduct[] } : entry,
  );
  return {
    ...(rest as Omit<Binding, 'base' | 'history' | 'intent'>),
    history,
    dismissed: (rest['dismissed'] as DismissedState | undefined) ?? null,
    base: base ? (JSON.parse(gunzipSync(Buffer.from(base as Uint8Array)).toString('utf8')) as CanonicalOrder) : null,
    intent: intent ? (JSON.parse(gunzipSync(Buffer.from(intent as Uint8Array)).toString('utf8')) as OneCIntent) : null,
  };
}

/** The order's sync record as the API shows it: the binding without its snapshot's bulk. */
export function syncRecordView(item: Record<string, unknown>): Record<string, unknown> {
  const binding = fromItem(item);
  const { base, intent: _intent, ...rest } = binding;
  return {
    ...rest,
    agreed: base ? { status: base.status, lines: base.lines.map((l) => ({ key: l.key, quantity: l.quantity, cancelledQuantity: l.cancelledQuantity, shippedQuantity: l.shippedQuantity, price: l.price, amount: l.amount })) } : null,
  };
}
