/**
 * The synchronizer of one order, both directions in one pass (one SQS FIFO message per order,
 * so the two directions of an order never run at once):
 *
 *   skip → up-to-date check → map → merge → write 1C → write Goodwix → bind
 *
 * A bound order, step by step: `readOneC` → `upToDate` → `decide` (map, merge) → `writeOneC`
 * (intent, update, post, new base) → `pushToGoodwix` → `bindResult`. An order to export:
 * `findCreated` (adopted if found) → `notForOneC` (`closeNotForOneC`) → `prepareExport` →
 * `createInOneC` (intent, create, post) → `bindCreated` → `pushToGoodwix` → `exportResult`.
 *
 * An order without a 1C document is exported: looked up by its stable key first, before any
 * "not for 1C" shortcut (a retry after a crash or a lost POST response finds the document
 * instead of creating a second one, or leaving it orphaned), then by the intent the earlier
 * attempt recorded (its Ref_Key, its date and partner); otherwise the intent is recorded,
 * the order created, posted, bound, then Goodwix is told the 1C number. A found order is
 * adopted: bound with the intent as its base and exchanged three-way. A bound order is merged
 * three-way against its base; 1C wins conflicts; the intent of every 1C write is recorded
 * before it, its version checked in the update's own re-read (1C has no optimistic locking),
 * and the new base saved right after it, before Goodwix is written; every binding write is
 * conditional on nobody having moved it since it was read, so a merge from stale data is redone.
 *
 * Permanent failures park the order with a message naming the culprit; retryable ones throw.
 */
import { randomUUID } from 'node:crypto';
import { LINE_INPUT_FIELDS, productKey, type AffectedProduct, type CanonicalLine, type CanonicalOrder, type OneCRows, type OrderStatus } from '#core/canonical';
import { decEquals } from '#core/decimal';
import { mergeOrder, type Conflict } from '#core/merge';
import { isEnded, statusToShow } from '#core/status';
import type { GoodwixClient } from '#goodwix/client';
import type { GoodwixOrder } from '#goodwix/model';
import type { OneCOrder, OneCShipment } from '#onec/documents';
import { OneCPostingRefusedError } from '#onec/errors';
import type { OneCTrade } from '#onec/trade';
import { clock, type Clock } from '#platform/clock';
import { AppError, isRetryable } from '#platform/errors';
import type { Logger } from '#platform/logger';
import type { Plan } from '#plans/plan';
import { offsetAt } from '#plans/zoned-time';
import { newBinding, withConflicts, withEntry, type Binding, type OneCIntent, type BindingRepository, type ParkedState, type SyncEntry, type SyncOutcome } from '#store/bindings';
import { DuplicateOneCOrderError, InvalidOrderError, OneCOrderMissingError, StaleOneCReadError, UnmappedProductError } from './errors.ts';
import { orderIdFromStableKey, planRefs, shipmentsFingerprint, stableKey } from './order-keys.ts';
import { canonicalFromGoodwix, checkGoodwixOrder, erpLineId, goodwixUpdate, splitGoodwixUpdate } from './goodwix-mapper.ts';
import { canonicalFromOneC, documentAmount, linkWrittenRows, rowsForOneC, type RowDefaults, type RowPlanEntry } from './onec-mapper.ts';
import type { OneCReferences } from './references.ts';

export interface SyncPorts {
  readonly plan: Plan;
  readonly onec: OneCTrade;
  readonly goodwix: GoodwixClient;
  readonly bindings: BindingRepository;
  /** Reference lookups, shared by the orders of one batch */
  readonly refs: OneCReferences;
  readonly now?: Clock;
  readonly logger?: Logger;
}

/** What parking an order needs: its binding, the clock, the logger (no client of either system). */
export type ParkPorts = Pick<SyncPorts, 'bindings' | 'now' | 'logger'>;

export interface SyncRequest {
  readonly planId: string;
  readonly runId: string | null;
  readonly orderId: string;
  /** Exchange even when neither side moved (a resync request) */
  readonly force?: boolean;
}

export interface SyncResult {
  readonly orderId: string;
  readonly outcome: SyncOutcome;
  readonly toOneC: number;
  readonly toGoodwix: number;
  readonly conflicts: readonly Conflict[];
  readonly products: readonly AffectedProduct[];
  readonly onecNumber?: string;
  readonly message?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

/** 1C dates carry no zone: they are the wall clock of the plan's time zone. */
export function oneCLocalTime(instant: Date, timeZone: string): string {
  const ms = instant.getTime();
  return new Date(ms + offsetAt(ms, timeZone)).toISOString().slice(0, 19);
}

/** The instant a 1C date (the wall clock of the plan's time zone, no zone of its own) stands for. */
export function instantOfOneCTime(local: string, timeZone: string): Date {
  const asUtc = Date.parse(`${local.slice(0, 19)}Z`);
  // The zone's offset at the instant near that wall time: exact except in the hour a clock moves.
  return new Date(asUtc - offsetAt(asUtc - offsetAt(asUtc, timeZone), timeZone));
}

const DAY_MS = 86_400_000;

/**
 * Whether the order is still watched (probed by every run) once Goodwix shows `status`: not
 * once closed, rejected or cancelled; a fully shipped order for the plan's days after its last
 * posted shipment (`watchUntil`, which the listing of open bindings honours), so a shipment
 * unposted, deleted or corrected meanwhile still reaches Goodwix; any other order, always.
 */
export function watchOf(status: OrderStatus, shipments: readonly Pick<OneCShipment, 'date'>[], plan: Plan, now: Date): { open: boolean; watchUntil: string | null } {
  if (isEnded(status)) return { open: false, watchUntil: null };
  if (status !== 'shipped') return { open: true, watchUntil: null };
  // A shipment without a date (none in UT, but the field may be empty) counts as made now.
  const dates = shipments.map((s) => (s.date ? instantOfOneCTime(s.date, plan.schedule.timeZone).getTime() : now.getTime()));
  const last = dates.length ? Math.max(...dates) : now.getTime();
  const until = new Date(last + plan.orders.watchDaysAfterShipment * DAY_MS);
  return { open: until.getTime() > now.getTime(), watchUntil: until.toISOString() };
}

export async function syncOrder(ports: SyncPorts, request: SyncRequest): Promise<SyncResult> {
  const binding = await ports.bindings.get(request.planId, request.orderId);
  // Set aside by a person: no run tries it again until a resync brings it back (the API clears it).
  if (binding?.dismissed) return skipped(request, `dismissed by ${binding.dismissed.by} at ${binding.dismissed.at}`);
  try {
    const order = await ports.goodwix.order(Number(request.orderId));
    if (!binding?.onec) return await exportOrder(ports, request, order, binding);
    return await syncBound(ports, request, order, binding);
  } catch (error) {
    if (isRetryable(error)) throw error;
    return parkOrder(ports, request, error);
  }
}

/**
 * Parks the order with the error that stops it: recorded on its sync record (visible through
 * the API), kept in the open index so every run tries it again, and never silently dropped.
 */
export async function parkOrder(ports: ParkPorts, request: SyncRequest, error: unknown): Promise<SyncResult> {
  const now = clock(ports);
  const code = error instanceof AppError ? error.code : 'SYNC_FAILED';
  const message = error instanceof Error ? error.message : String(error);
  const current = await ports.bindings.get(request.planId, request.orderId);
  const previous = current?.parked;
  const parked: ParkedState = {
    code,
    message,
    since: previous && previous.code === code ? previous.since : now.toISOString(),
    attempts: (previous?.attempts ?? 0) + 1,
    runId: request.runId,
  };
  const entry: SyncEntry = { at: now.toISOString(), runId: request.runId, outcome: 'parked', toOneC: 0, toGoodwix: 0, conflicts: 0, message };
  const next = withEntry({ ...(current ?? newBinding(request.planId, request.orderId, now)), parked, open: true, updatedAt: now.toISOString() }, entry);
  await ports.bindings.save(next, current);
  ports.logger?.warn('order parked', { planId: request.planId, orderId: request.orderId, code, reason: message });
  return { orderId: request.orderId, outcome: 'parked', toOneC: 0, toGoodwix: 0, conflicts: [], products: [], message, error: { code, message } };
}

// ---- Goodwix → 1C: export ------------------------------------------------------------------------

/** Whether the order was confirmed before `exportFrom`: a date in the plan's time zone, or an instant. */
function confirmedBefore(order: GoodwixOrder, exportFrom: string, timeZone: string): boolean {
  const confirmed = new Date(order.confirmedAt ?? order.createdAt);
  if (exportFrom.length === 10) return oneCLocalTime(confirmed, timeZone).slice(0, 10) < exportFrom;
  return confirmed.getTime() < Date.parse(exportFrom);
}

async function exportOrder(ports: SyncPorts, request: SyncRequest, order: GoodwixOrder, binding: Binding | null): Promise<SyncResult> {
  const now = clock(ports);
  if (order.status === 'new') return skipped(request, 'not confirmed in Goodwix yet');
  // Past `new`: a status the binding can hold.
  const status = order.status;
  // The key first, before any "not for 1C" shortcut: an earlier attempt may have created the
  // order (its answer lost, or the worker killed before the binding was saved), and a document
  // left unbound would stay in 1C, posted and holding its reserve, with no run ever visiting it.
  const key = stableKey(request.orderId);
  const found = await findCreated(ports, order, binding, key);
  if (found) return adoptOrder(ports, request, order, binding, found);
  const reason = notForOneC(ports.plan, order);
  if (reason) return closeNotForOneC(ports, { request, status, binding, now }, reason);
  const toCreate = await prepareExport(ports, request, order, key, now);
  const created = await createInOneC(ports, { request, binding, now }, toCreate);
  const bound = await bindCreated(ports, { request, status, binding, now }, toCreate, created);
  const pushed = await pushToGoodwix(ports, order, bound.onecView, created.doc, null);
  return exportResult(ports, { request, now }, { toCreate, created, bound, pushed });
}

/** The 1C order an earlier attempt created, by its stable key, else by the intent it recorded; null if none. */
async function findCreated(ports: SyncPorts, order: GoodwixOrder, binding: Binding | null, key: string): Promise<OneCOrder | null> {
  let found = await ports.onec.findOrdersByClientNumber(key);
  if (found.length === 0 && binding?.intent) found = await findByIntent(ports, binding.intent, key, order.number);
  if (found.length > 1) {
    throw new DuplicateOneCOrderError(`Goodwix order ${order.number}: ${found.length} 1C orders carry its key ${key} (${found.map((o) => o.number).join(', ')}); keep one and clear the key in the others`, {
      context: { orderId: order.id, key },
    });
  }
  return found[0] ?? null;
}

/** Why an order 1C does not hold is not for 1C (finished in Goodwix, or older than the exchange), or null. */
function notForOneC(plan: Plan, order: GoodwixOrder): string | null {
  if (!['confirmed', 'in_progress', 'ready_to_ship'].includes(order.status)) return `${order.status} in Goodwix before it reached 1C`;
  if (plan.orders.exportFrom && confirmedBefore(order, plan.orders.exportFrom, plan.schedule.timeZone)) return `confirmed before the plan's exportFrom (${plan.orders.exportFrom})`;
  return null;
}

/** Nothing to create: a parked record of the order is closed. */
async function closeNotForOneC(ports: SyncPorts, on: { request: SyncRequest; status: OrderStatus; binding: Binding | null; now: Date }, reason: string): Promise<SyncResult> {
  const { request, status, binding, now } = on;
  if (binding) {
    const entry: SyncEntry = { at: now.toISOString(), runId: request.runId, outcome: 'skipped', toOneC: 0, toGoodwix: 0, conflicts: 0, message: reason };
    await ports.bindings.save(withEntry({ ...binding, open: false, parked: null, status, updatedAt: now.toISOString() }, entry), binding);
  }
  return skipped(request, reason);
}

/** What the export sends: Goodwix's order as canonical, the plan tying its rows to lines, 1C's document, and the create's intent. */
interface ToCreate {
  readonly goodwix: CanonicalOrder;
  readonly rowPlan: readonly RowPlanEntry[];
  readonly input: Awaited<ReturnType<typeof orderInput>>;
  readonly intent: OneCIntent;
}

async function prepareExport(ports: SyncPorts, request: SyncRequest, order: GoodwixOrder, key: string, now: Date): Promise<ToCreate> {
  const { plan, refs } = ports;
  if (order.lines.length === 0) throw new InvalidOrderError(`Goodwix order ${order.number} has no lines`, { context: { orderId: order.id } });
  checkGoodwixOrder(order, request.orderId);
  const goodwix = canonicalFromGoodwix(order, { base: null, toOneC: plan.orders.statusMap.toOneC });
  await refs.checkProducts(order.lines);
  const defaults = await rowDefaults(ports);
  const rows = await rowsForOneC({ lines: goodwix.lines, current: [], currentLines: [], pricesIncludeVat: order.pricesIncludeVat, defaults, refs });
  // The rows numbered and the Ref_Key chosen here, and recorded before the POST: a retry after
  // a lost answer finds the order by them even if a manager changed its key or its rows, and
  // merges three-way against what was sent.
  const items = numberNewRows(rows.items, []);
  const sent = linkWrittenRows(goodwix.lines, rows.plan, items);
  const input = await orderInput(ports, order, key, items, now);
  const intent: OneCIntent = { at: now.toISOString(), ref: randomUUID(), date: input.date, partner: input.partner, base: { ...goodwix, lines: sent }, sent };
  return { goodwix, rowPlan: rows.plan, input, intent };
}

/** 1C once it holds the new order: the document, a posting 1C refused, and the binding that recorded the intent. */
interface Created {
  readonly doc: OneCOrder;
  readonly postingError: OneCPostingRefusedError | null;
  readonly before: Binding;
}

/** Creates the order in 1C, its intent recorded before the POST, and posts it (a posting 1C refuses parks the order). */
async function createInOneC(ports: SyncPorts, on: { request: SyncRequest; binding: Binding | null; now: Date }, toCreate: ToCreate): Promise<Created> {
  const { request, binding, now } = on;
  const { input, intent } = toCreate;
  const before = await ports.bindings.save({ ...(binding ?? newBinding(request.planId, request.orderId, now)), intent, updatedAt: now.toISOString() }, binding);
  let doc = await ports.onec.createOrder(input, { ref: intent.ref });
  let postingError: OneCPostingRefusedError | null = null;
  if (!doc.posted && !doc.deletionMark) ({ doc, refused: postingError } = await postOrder(ports.onec, doc));
  return { doc, postingError, before };
}

/** The created order bound, 1C's view of it the base, and that view. */
interface Bound {
  readonly saved: Binding;
  readonly onecView: CanonicalOrder;
}

/** Binds the created document, 1C's view of it as the base; saved before Goodwix hears of it. */
async function bindCreated(
  ports: SyncPorts, on: { request: SyncRequest; status: OrderStatus; binding: Binding | null; now: Date }, toCreate: ToCreate, created: Created,
): Promise<Bound> {
  const { request, status, binding, now } = on;
  const { goodwix, rowPlan } = toCreate;
  const { doc, postingError, before } = created;
  const written = doc.items.length === rowPlan.length ? linkWrittenRows(goodwix.lines, rowPlan, doc.items) : goodwix.lines;
  const onecView = await canonicalFromOneC({ doc, shipments: [], known: written, refs: ports.refs, statusMap: ports.plan.orders.statusMap.toGoodwix });
  const bound: Binding = {
    ...before,
    intent: null,
    onec: { ref: doc.ref, number: doc.number, date: doc.date },
    base: onecView,
    onecDataVersion: doc.dataVersion,
    onecShipments: shipmentsFingerprint([]),
    // Not yet told of its 1C document: a retry after a crash here must not look up to date.
    goodwixVersion: null,
    status,
    needsPosting: postingError !== null,
    open: true,
    parked: postingError ? parkedFrom(postingError, binding?.parked ?? null, request, now) : null,
    updatedAt: now.toISOString(),
  };
  // Bound before Goodwix hears of it: from here on a retry updates this document, never creates one.
  const saved = await ports.bindings.save(bound, before);
  ports.logger?.info('order exported to 1C', { planId: request.planId, orderId: request.orderId, onecNumber: doc.number });
  return { saved, onecView };
}

/** The binding once Goodwix holds the 1C number, with the export's entry; the result of the export. */
async function exportResult(
  ports: SyncPorts, on: { request: SyncRequest; now: Date },
  s: { toCreate: ToCreate; created: Created; bound: Bound; pushed: Awaited<ReturnType<typeof pushToGoodwix>> },
): Promise<SyncResult> {
  const { request, now } = on;
  const { toCreate, created, bound, pushed } = s;
  const done: Exchanged = {
    outcome: 'exported', toOneC: toCreate.goodwix.lines.length, toGoodwix: pushed.changes, conflicts: [], products: productsOf(bound.onecView.lines),
    onecNumber: created.doc.number, postingError: created.postingError,
  };
  const { saved, onecView } = bound;
  await ports.bindings.save(
    withEntry({ ...saved, base: pushed.base, goodwixVersion: pushed.version, status: pushed.base.status, onecStatus: onecView.status, ...watchOf(pushed.base.status, [], ports.plan, now), updatedAt: now.toISOString() }, entryOf(done, request, now)),
    saved,
  );
  return resultOf(done, request);
}

/**
 * A 1C order an earlier attempt created (its answer lost, or the worker killed before the
 * binding was saved) is bound, then exchanged like any bound order: a three-way merge against
 * what that attempt sent, so whatever changed on either side since (a cancellation in
 * Goodwix, a manager's edit in 1C) reaches the other side, and an order cancelled in Goodwix
 * meanwhile is cancelled in 1C, its reserve released.
 */
async function adoptOrder(ports: SyncPorts, request: SyncRequest, order: GoodwixOrder, binding: Binding | null, doc: OneCOrder): Promise<SyncResult> {
  const { plan, refs } = ports;
  const now = clock(ports);
  checkGoodwixOrder(order, request.orderId);
  const intent = binding?.intent?.ref === doc.ref ? binding.intent : null;
  let base: CanonicalOrder;
  if (intent) {
    // What the create sent, its rows tied by the codes it sent them with.
    base = intent.base;
  } else {
    // Created before intents were recorded: what was sent, as well as it can be told (Goodwix's
    // lines before any ending, tied to the rows in the order they were written).
    const sent = canonicalFromGoodwix({ ...order, status: 'confirmed' }, { base: null, toOneC: plan.orders.statusMap.toOneC });
    const rows = await rowsForOneC({ lines: sent.lines, current: [], currentLines: [], pricesIncludeVat: order.pricesIncludeVat, defaults: await rowDefaults(ports), refs });
    base = { ...sent, lines: doc.items.length === rows.plan.length ? linkWrittenRows(sent.lines, rows.plan, doc.items) : sent.lines };
  }
  const bound: Binding = {
    ...(binding ?? newBinding(request.planId, request.orderId, now)),
    // Kept until the first exchange settles it: the rows are tied by the codes it sent.
    intent,
    onec: { ref: doc.ref, number: doc.number, date: doc.date },
    base,
    onecDataVersion: doc.dataVersion,
    onecShipments: shipmentsFingerprint([]),
    goodwixVersion: null,
    status: order.status === 'new' ? null : order.status,
    needsPosting: !doc.posted && !doc.deletionMark,
    open: true,
    parked: null,
    updatedAt: now.toISOString(),
  };
  const saved = await ports.bindings.save(bound, binding);
  ports.logger?.info('order found in 1C by its key', { planId: request.planId, orderId: request.orderId, onecNumber: doc.number });
  return syncBound(ports, request, order, saved, 'adopted');
}

async function rowDefaults(ports: SyncPorts): Promise<RowDefaults> {
  const settings = { ...ports.plan.orders, ...planRefs(ports.plan) };
  const agreement = await ports.refs.agreement(settings.agreement);
  return { warehouse: settings.warehouse, provision: settings.reservation, priceType: agreement?.priceType ?? null, cancelReason: settings.cancelReason };
}

/** Every header field 1C's form would have filled from the plan, the buyer and the agreement. */
async function orderInput(ports: SyncPorts, order: GoodwixOrder, key: string, items: Awaited<ReturnType<typeof rowsForOneC>>['items'], now: Date) {
  const { plan, refs } = ports;
  const settings = { ...plan.orders, ...planRefs(plan) };
  const zone = plan.schedule.timeZone;
  const agreement = await refs.agreement(settings.agreement);
  if (!agreement || agreement.deletionMark) {
    throw new InvalidOrderError(`plan ${plan.id}: Соглашение ${settings.agreement} is not in 1C${agreement ? ' (marked for deletion)' : ''}`, { context: { agreement: settings.agreement } });
  }
  const buyer = await refs.buyer(order.buyer);
  const contract = agreement.usesContracts ? await refs.contract({ buyer: order.buyer, counterparty: buyer.counterparty, organization: settings.organization }) : null;
  const comment = [commentNaming(order.number), order.comment].filter(Boolean).join('. ');
  return {
    clientNumber: key,
    clientDate: oneCLocalTime(new Date(order.confirmedAt ?? order.createdAt), zone),
    date: oneCLocalTime(now, zone),
    status: settings.newOrderStatus,
    agreed: settings.newOrderStatus !== 'НеСогласован',
    organization: settings.organization,
    partner: buyer.partner,
    counterparty: buyer.counterparty,
    agreement: settings.agreement,
    contract,
    warehouse: settings.warehouse,
    manager: settings.manager,
    currency: agreement.currency,
    // The prices are Goodwix's: the document states whether they include VAT as Goodwix does.
    priceIncludesVat: order.pricesIncludeVat,
    vatTaxation: agreement.vatTaxation ?? 'ПродажаОблагаетсяНДС',
    operation: 'РеализацияКлиенту',
    settlement: settings.settlement,
    amount: documentAmount(items),
    comment,
    items,
  };
}

/** How the comment of a 1C order the exchange creates begins: it names the Goodwix order. */
function commentNaming(goodwixNumber: string): string {
  return `${COMMENT_PREFIX}${goodwixNumber}`;
}
const COMMENT_PREFIX = 'Goodwix, заказ № ';

/** Whether a 1C order's comment names a Goodwix order other than `goodwixNumber` (as the exchange writes it). */
function namesAnotherGoodwixOrder(comment: string | null | undefined, goodwixNumber: string): boolean {
  if (!comment?.startsWith(COMMENT_PREFIX)) return false;
  const ours = commentNaming(goodwixNumber);
  return !(comment === ours || comment.startsWith(`${ours}. `));
}

/**
 * The order a create recorded in `intent` made, when its key no longer finds it (a manager put
 * the buyer's PO number there): by the Ref_Key the exchange chose, then by its document date and
 * partner among orders that carry no other Goodwix order's key, whose comment names no other
 * Goodwix order, and whose rows still hold, under the row codes the exchange sent, the products
 * it sent. The buyer's other order of the same second, its key replaced by a PO number, was
 * taken for this one when this one's create had made nothing: without the rows' test (chaos seed
 * 8123, 1,000 orders), and when both began with the same product without the comment's (seed
 * 7777, session 6).
 */
async function findByIntent(ports: SyncPorts, intent: OneCIntent, key: string, goodwixNumber: string): Promise<OneCOrder[]> {
  const byRef = await ports.onec.findOrder(intent.ref);
  if (byRef) return [byRef];
  if (!intent.date || !intent.partner) return [];
  const candidates = await ports.onec.findOrdersByDateAndPartner(intent.date, intent.partner);
  return candidates.filter(
    (o) => (o.clientNumber === key || orderIdFromStableKey(o.clientNumber ?? '') === null) && !namesAnotherGoodwixOrder(o.comment, goodwixNumber) && holdsSentRows(o, intent),
  );
}

/** Every row of `doc` under a code the intent sent holds the product sent with it, and at least one does. */
function holdsSentRows(doc: OneCOrder, intent: OneCIntent): boolean {
  const sent = new Map<number, string>();
  for (const line of intent.sent) {
    for (const code of [line.onecRows?.active, line.onecRows?.cancelled]) {
      if (code !== undefined) sent.set(code, productKey(line.product.nomenclature, line.product.characteristic));
    }
  }
  let held = 0;
  for (const row of doc.items) {
    const product = sent.get(row.lineCode);
    if (product === undefined) continue;
    if (product !== productKey(row.product, row.characteristic)) return false;
    held += 1;
  }
  return held > 0;
}

// ---- both directions for a bound order --------------------------------------------------------------

async function syncBound(ports: SyncPorts, request: SyncRequest, order: GoodwixOrder, binding: Binding, adopting?: 'adopted'): Promise<SyncResult> {
  const now = clock(ports);
  checkGoodwixOrder(order, request.orderId);
  const seen = await readOneC(ports, order, binding);
  const unchanged = upToDate(request, order, binding, seen);
  if (unchanged) return unchanged;
  const decided = await decide(ports, order, binding, seen);
  const inOneC = await writeOneC(ports, { request, order, binding, now }, seen, decided);
  // What 1C's state said when both sides last agreed: unknown (an older binding) counts as unmoved.
  const pushed = await pushToGoodwix(ports, order, inOneC.target, inOneC.written, binding.onecStatus ?? null);
  return bindResult(ports, { request, binding, now }, { seen, decided, inOneC, pushed, adopting });
}

/** What 1C holds of a bound order: the document, its shipments and their fingerprint. */
interface OneCSeen {
  readonly ref: string;
  readonly doc: OneCOrder;
  readonly shipments: readonly OneCShipment[];
  readonly fingerprint: string;
}

async function readOneC(ports: SyncPorts, order: GoodwixOrder, binding: Binding): Promise<OneCSeen> {
  const ref = binding.onec!.ref;
  const doc = await ports.onec.findOrder(ref);
  if (!doc) {
    throw new OneCOrderMissingError(`Goodwix order ${order.number}: its 1C order ${binding.onec!.number} (${ref}) no longer exists in 1C`, { context: { orderId: order.id, onecRef: ref } });
  }
  const shipments = await ports.onec.listShipmentsForOrders([ref]);
  return { ref, doc, shipments, fingerprint: shipmentsFingerprint(shipments) };
}

/** The answer when neither side moved since the binding (and nothing is owed), or null. */
function upToDate(request: SyncRequest, order: GoodwixOrder, binding: Binding, seen: OneCSeen): SyncResult | null {
  const moved = binding.intent || order.version !== binding.goodwixVersion || seen.doc.dataVersion !== binding.onecDataVersion || seen.fingerprint !== binding.onecShipments;
  if (moved || request.force || binding.needsPosting || binding.parked) return null;
  // This run's message again, after the attempt that did the work died before the run recorded
  // it (a killed Lambda): nothing to write, but the reserves that attempt moved are still this
  // run's to refresh.
  const done = binding.history[0];
  const products = request.runId !== null && done?.runId === request.runId ? (done.products ?? []) : [];
  return { orderId: request.orderId, outcome: 'unchanged', toOneC: 0, toGoodwix: 0, conflicts: [], products, onecNumber: seen.doc.number };
}

/** Both sides as canonical orders, the base they are merged against, and the merge. */
interface Decided {
  readonly onecNow: CanonicalOrder;
  readonly base: CanonicalOrder;
  readonly goodwixNow: CanonicalOrder;
  readonly merged: ReturnType<typeof mergeOrder>;
  readonly changesFor1C: boolean;
}

async function decide(ports: SyncPorts, order: GoodwixOrder, binding: Binding, seen: OneCSeen): Promise<Decided> {
  const statusMap = ports.plan.orders.statusMap;
  const intent = binding.intent ?? null;
  // A write whose outcome was never recorded: 1C's rows are tied to lines by the codes it was
  // sent with, and the base is what 1C shows of that write (what landed is agreed, what did not
  // is still to do).
  // An unsettled intent's row codes may have gone to a manager's rows meanwhile: tied by product too.
  const onecNow = await canonicalFromOneC({
    doc: seen.doc, shipments: seen.shipments, known: intent ? sentOrKept(binding.base ?? intent.base, intent.sent) : binding.base!.lines, sameProductOnly: intent !== null, refs: ports.refs, statusMap: statusMap.toGoodwix,
  });
  const base = intent ? resolveIntent(binding.base ?? intent.base, intent, onecNow) : binding.base!;
  const goodwixNow = canonicalFromGoodwix(order, { base, toOneC: statusMap.toOneC });
  const merged = mergeOrder({ base, goodwix: goodwixNow, onec: onecNow });
  return { onecNow, base, goodwixNow, merged, changesFor1C: linesDiffer(merged.lines, onecNow.lines) };
}

/** 1C once it holds the merge: the document written, its canonical form, a posting 1C refused, and the binding saved. */
interface InOneC {
  readonly written: OneCOrder;
  readonly target: CanonicalOrder;
  readonly postingError: OneCPostingRefusedError | null;
  readonly current: Binding;
}

/**
 * Writes the merge into 1C (the intent recorded before the PATCH, its version checked in the
 * update's own re-read), posts it where it was posted or owed a posting, and saves the new base
 * right after, before Goodwix is written.
 */
async function writeOneC(
  ports: SyncPorts, on: { request: SyncRequest; order: GoodwixOrder; binding: Binding; now: Date }, seen: OneCSeen, decided: Decided,
): Promise<InOneC> {
  const { onec, refs } = ports;
  const { request, order, binding, now } = on;
  const { ref, doc, shipments, fingerprint } = seen;
  const { onecNow, base, goodwixNow, merged, changesFor1C } = decided;
  let written = doc;
  let target: CanonicalOrder = { ...onecNow, lines: merged.lines };
  let postingError: OneCPostingRefusedError | null = null;
  let current = binding;
  if (!changesFor1C && !binding.needsPosting) return { written, target, postingError, current };
  if (changesFor1C) {
    const added = order.lines.filter((l) => merged.lines.some((m) => m.goodwixLineId === l.id && !m.onecRows));
    if (added.length) await refs.checkProducts(added);
    const rows = await rowsForOneC({ lines: merged.lines, current: doc.items, currentLines: onecNow.lines, pricesIncludeVat: doc.priceIncludesVat, defaults: await rowDefaults(ports), refs });
    const items = numberNewRows(rows.items, doc.items);
    const sent = linkWrittenRows(merged.lines, rows.plan, items);
    // What is about to be written, before it is: a retry after a lost answer or a kill tells
    // from 1C's rows what landed. The conflicts 1C won are recorded now, once.
    const pending: OneCIntent = { at: now.toISOString(), ref, date: null, partner: null, base: agreedBase(goodwixNow, sent, base), sent };
    current = await ports.bindings.save(withConflicts({ ...binding, base, intent: pending, goodwixVersion: null, updatedAt: now.toISOString() }, merged.conflicts, now.toISOString()), binding);
    // No optimistic locking in 1C: the re-read the update makes anyway checks the version, so
    // a manager's save is lost only if it lands between that read and the PATCH.
    written = await onec.updateOrder(ref, { items, amount: documentAmount(items) }, { expectedDataVersion: doc.dataVersion });
    target = { ...onecNow, lines: linkWrittenRows(merged.lines, rows.plan, written.items) };
  } else {
    // Only a post to repeat: make sure nobody changed the order since it was read.
    const probe = (await onec.readDataVersions([ref])).get(ref);
    if (probe?.dataVersion !== doc.dataVersion) throw new StaleOneCReadError(request.orderId, { onecRef: ref });
  }
  if ((doc.posted || binding.needsPosting) && !written.deletionMark) ({ doc: written, refused: postingError } = await postOrder(onec, written));
  target = await canonicalFromOneC({ doc: written, shipments, known: target.lines, refs, statusMap: ports.plan.orders.statusMap.toGoodwix });
  if (changesFor1C) {
    // Saved before Goodwix is written: a version conflict there, or a kill, must not leave the
    // base behind 1C, or the retry would take the exchange's own 1C write for a manager's edit.
    current = await ports.bindings.save(writtenToOneC(current, { base, goodwixNow, target, written, fingerprint, postingError, request, now }), current);
  }
  return { written, target, postingError, current };
}

/** The binding once both sides hold the merge, with the exchange's entry; the result of the sync. */
async function bindResult(
  ports: SyncPorts, on: { request: SyncRequest; binding: Binding; now: Date },
  s: { seen: OneCSeen; decided: Decided; inOneC: InOneC; pushed: Awaited<ReturnType<typeof pushToGoodwix>>; adopting: 'adopted' | undefined },
): Promise<SyncResult> {
  const { request, binding, now } = on;
  const { seen, decided, inOneC, pushed } = s;
  const { written, target, postingError, current } = inOneC;
  const conflicts = decided.merged.conflicts;
  const done: Exchanged = {
    outcome: s.adopting ?? (decided.changesFor1C || pushed.changes > 0 || binding.needsPosting ? 'updated' : 'unchanged'),
    toOneC: decided.merged.fromGoodwix.length, toGoodwix: pushed.changes, conflicts,
    products: productsOf([...decided.base.lines, ...pushed.base.lines]), onecNumber: written.number, postingError,
  };
  const next: Binding = withEntry(
    {
      ...current,
      onec: { ref: seen.ref, number: written.number, date: written.date },
      base: pushed.base,
      onecDataVersion: written.dataVersion,
      onecShipments: seen.fingerprint,
      goodwixVersion: pushed.version,
      status: pushed.base.status,
      onecStatus: target.status,
      needsPosting: postingError !== null,
      parked: postingError ? parkedFrom(postingError, binding.parked, request, now) : null,
      ...watchOf(pushed.base.status, seen.shipments, ports.plan, now),
      intent: null,
      updatedAt: now.toISOString(),
    },
    entryOf(done, request, now),
    decided.changesFor1C ? [] : conflicts,
  );
  await ports.bindings.save(next, current);
  if (conflicts.length) {
    ports.logger?.warn('conflict resolved in favour of 1C', { planId: request.planId, orderId: request.orderId, conflicts: conflicts.length, fields: conflicts.map((c) => `${c.lineKey}.${c.field}`).join(', ') });
  }
  return resultOf(done, request);
}

/** What one exchange of an order did: what its entry records and its result answers. */
interface Exchanged {
  readonly outcome: SyncOutcome;
  readonly toOneC: number;
  readonly toGoodwix: number;
  readonly conflicts: readonly Conflict[];
  readonly products: readonly AffectedProduct[];
  readonly onecNumber: string;
  readonly postingError: OneCPostingRefusedError | null;
}

/** The binding's entry of an exchange: the products only where it moved something. */
function entryOf(done: Exchanged, request: SyncRequest, now: Date): SyncEntry {
  return {
    at: now.toISOString(), runId: request.runId, outcome: done.outcome, toOneC: done.toOneC, toGoodwix: done.toGoodwix, conflicts: done.conflicts.length,
    ...(done.outcome !== 'unchanged' ? { products: done.products } : {}),
    ...(done.postingError ? { message: `1C refused to post: ${done.postingError.message}` } : {}),
  };
}

function resultOf(done: Exchanged, request: SyncRequest): SyncResult {
  const { outcome, toOneC, toGoodwix, conflicts, onecNumber, products, postingError } = done;
  return {
    orderId: request.orderId, outcome, toOneC, toGoodwix, conflicts, onecNumber,
    products,
    ...(postingError ? { message: postingError.message, error: { code: postingError.code, message: `1C refused to post order ${onecNumber}: ${postingError.message}` } } : {}),
  };
}

/**
 * The base once 1C holds `written` and Goodwix has not been told yet: what Goodwix showed (the
 * merge's Goodwix side) tied to 1C's rows. What Goodwix sent is now in 1C too, so a retry sees no
 * change there; what 1C has that Goodwix lacks still differs from it on 1C's side only, so a
 * retry pushes it. The agreed status stays: a cancellation made in Goodwix reads the same again.
 */
function agreedBase(goodwixNow: CanonicalOrder, withRows: readonly CanonicalLine[], base: CanonicalOrder): CanonicalOrder {
  const rowsOf = new Map(withRows.map((l) => [l.key, l.onecRows]));
  const before = new Map(base.lines.map((l) => [l.key, l.onecRows]));
  return { ...goodwixNow, status: base.status, lines: goodwixNow.lines.map((l) => ({ ...l, onecRows: rowsOf.get(l.key) ?? before.get(l.key) ?? {} })) };
}

/**
 * The binding once 1C holds the merge and Goodwix has not been told yet: the base of
 * `agreedBase`, 1C's new version, the intent done. Goodwix's version is forgotten, so the order
 * never looks up to date until Goodwix is told.
 */
function writtenToOneC(
  binding: Binding,
  s: {
    base: CanonicalOrder; goodwixNow: CanonicalOrder; target: CanonicalOrder; written: OneCOrder; fingerprint: string;
    postingError: OneCPostingRefusedError | null; request: SyncRequest; now: Date;
  },
): Binding {
  return {
    ...binding,
    onec: { ref: s.written.ref, number: s.written.number, date: s.written.date },
    base: agreedBase(s.goodwixNow, s.target.lines, s.base),
    onecDataVersion: s.written.dataVersion,
    onecShipments: s.fingerprint,
    goodwixVersion: null,
    needsPosting: s.postingError !== null,
    parked: s.postingError ? parkedFrom(s.postingError, binding.parked, s.request, s.now) : binding.parked,
    intent: null,
    updatedAt: s.now.toISOString(),
  };
}

/**
 * The base after a write into 1C whose outcome was never recorded, field by field: where 1C
 * holds what was sent, the write landed and the intent's base is agreed; elsewhere (not landed,
 * or a manager changed it since) the old base stays, so the merge sees who changed what. A line
 * the write added is in the base only if 1C has its row; a line it removed keeps the old base,
 * which tells both outcomes right.
 */
function resolveIntent(old: CanonicalOrder, intent: OneCIntent, onecNow: CanonicalOrder): CanonicalOrder {
  const sentBy = new Map(intent.sent.map((l) => [l.key, l]));
  const nowBy = new Map(onecNow.lines.map((l) => [l.key, l]));
  const oldBy = new Map(old.lines.map((l) => [l.key, l]));
  const lines: CanonicalLine[] = [];
  for (const ib of intent.base.lines) {
    const ob = oldBy.get(ib.key);
    const sent = sentBy.get(ib.key);
    const c = nowBy.get(ib.key);
    if (!ob) {
      if (c) lines.push({ ...ib, onecRows: c.onecRows });
      continue;
    }
    // 1C cannot hold Goodwix's free-text cancel reason: the exchange writes the plan's reason
    // with the cancelled quantity, so the reason landed where the cancelled quantity did (chaos
    // seeds 7777 and 31337: a worker killed right after the 1C write of a buyer's cancellation
    // left a conflict on the reason nobody made).
    const landed = (field: (typeof MERGED_LINE_FIELDS)[number]): boolean =>
      sent !== undefined && c !== undefined && sameField(c, sent, field === 'cancelReason' ? 'cancelledQuantity' : field);
    // The rows 1C holds for the line now, whether or not the write landed.
    const line: Record<string, unknown> = { ...ob, onecRows: c ? c.onecRows : ob.onecRows };
    for (const field of MERGED_LINE_FIELDS) line[field] = landed(field) ? ib[field] : ob[field];
    lines.push(line as unknown as CanonicalLine);
  }
  const inIntent = new Set(intent.base.lines.map((l) => l.key));
  for (const ob of old.lines) if (!inIntent.has(ob.key)) lines.push(ob);
  return { ...old, lines };
}

/**
 * The lines 1C's rows are tied to while a write's outcome is unknown: the lines sent, each also
 * keeping the rows the old base tied to it, and the old base's lines the write removed. The
 * write may not have landed, and a row it would have deleted (the active half of a line it
 * cancelled wholly) is then still that line's; tied by the sent codes alone it read as a line
 * added in 1C, and Goodwix was given a second line of the product (chaos seed 31337, 1,000
 * orders). A code the write gave to a line wins over the old base's.
 */
function sentOrKept(old: CanonicalOrder, sent: readonly CanonicalLine[]): CanonicalLine[] {
  const claimed = new Set(sent.flatMap((l) => [l.onecRows?.active, l.onecRows?.cancelled]));
  const unclaimed = (rows: OneCRows | undefined): OneCRows => ({
    ...(rows?.active !== undefined && !claimed.has(rows.active) ? { active: rows.active } : {}),
    ...(rows?.cancelled !== undefined && !claimed.has(rows.cancelled) ? { cancelled: rows.cancelled } : {}),
  });
  const oldBy = new Map(old.lines.map((l) => [l.key, l]));
  const sentKeys = new Set(sent.map((l) => l.key));
  return [
    ...sent.map((l) => ({ ...l, onecRows: { ...unclaimed(oldBy.get(l.key)?.onecRows), ...l.onecRows } })),
    ...old.lines.filter((l) => !sentKeys.has(l.key)).map((l) => ({ ...l, onecRows: unclaimed(l.onecRows) })),
  ];
}

const MERGED_LINE_FIELDS = ['product', ...LINE_INPUT_FIELDS] as const;

function sameField(a: CanonicalLine, b: CanonicalLine, field: (typeof MERGED_LINE_FIELDS)[number]): boolean {
  if (field === 'product') return a.product.nomenclature === b.product.nomenclature && a.product.characteristic === b.product.characteristic;
  if (field === 'cancelReason') return a.cancelReason === b.cancelReason;
  return decEquals(a[field], b[field]);
}

/**
 * КодСтроки for the rows 1C has not numbered yet, after the highest the order holds: every row
 * is tied to its line before the write, so a retry after a lost answer finds it by its code
 * (1C keeps the КодСтроки it is sent).
 */
function numberNewRows<T extends { readonly lineCode?: number | null }>(items: readonly T[], existing: readonly { readonly lineCode: number }[]): T[] {
  let max = 0;
  for (const r of [...existing, ...items]) if (r.lineCode && r.lineCode > max) max = r.lineCode;
  return items.map((r) => (r.lineCode ? r : { ...r, lineCode: ++max }));
}

/**
 * Makes the Goodwix order hold `target` (lines, 1C number and date, and the status
 * `statusToShow` picks; `agreedOneC` is 1C's status when both sides last agreed) in one
 * versioned update (in parts of at most 1,000 lines each, the most Goodwix takes); lines
 * Goodwix numbers anew are re-keyed by their ERP line id.
 */
async function pushToGoodwix(
  ports: SyncPorts, order: GoodwixOrder, target: CanonicalOrder, doc: OneCOrder, agreedOneC: OrderStatus | null,
): Promise<{ base: CanonicalOrder; version: number; changes: number }> {
  const status = statusToShow({ goodwix: order.status === 'new' ? null : order.status, onec: target.status, agreedOneC });
  const lines = await withGoodwixProducts(ports, target.lines, doc);
  const update = goodwixUpdate(order, { lines, status, erp: { orderId: doc.ref, number: doc.number, date: doc.date } });
  if (!update) return { base: { ...target, status }, version: order.version, changes: 0 };
  let after: GoodwixOrder | undefined;
  for (const part of splitGoodwixUpdate(update)) {
    after = await ports.goodwix.updateOrder(order.id, { ...part, expectedVersion: after?.version ?? update.expectedVersion });
  }
  if (!after) throw new Error('unreachable: an update has at least one part');
  const byErpLine = new Map(after.lines.filter((l) => l.erpLineId).map((l) => [l.erpLineId!, l]));
  const rekeyed = lines.map((line): CanonicalLine => {
    if (line.goodwixLineId && after.lines.some((l) => l.id === line.goodwixLineId)) return line;
    const code = erpLineId(line);
    const created = code ? byErpLine.get(code) : undefined;
    return created ? { ...line, key: created.id, goodwixLineId: created.id, goodwixProductId: String(created.productId) } : line;
  });
  const changes = (update.changeLines?.length ?? 0) + (update.addLines?.length ?? 0) + (update.removeLineIds?.length ?? 0) + (update.status ? 1 : 0) + (update.erp ? 1 : 0);
  return { base: { ...target, status: after.status === 'new' ? status : after.status, lines: rekeyed }, version: after.version, changes };
}

/**
 * Lines added in 1C carry only 1C's product: Goodwix lists the product (or each variant) with
 * the ERP's ids, so the Goodwix product is found by them. One that Goodwix does not list stops
 * the update with a message naming the 1C product, rather than dropping the line.
 */
async function withGoodwixProducts(ports: SyncPorts, lines: readonly CanonicalLine[], doc: OneCOrder): Promise<CanonicalLine[]> {
  const out: CanonicalLine[] = [];
  for (const line of lines) {
    if (line.goodwixProductId || line.goodwixLineId) {
      out.push(line);
      continue;
    }
    const product = await ports.goodwix.findProductByErp(line.product.nomenclature, line.product.characteristic);
    if (!product) {
      const item = await ports.onec.readCatalogItem('products', line.product.nomenclature);
      const row = doc.items.find((r) => r.lineCode === (line.onecRows?.active ?? line.onecRows?.cancelled));
      throw new UnmappedProductError(
        `1C order ${doc.number} row ${row?.lineNumber ?? '?'}: «${item?.description ?? line.product.nomenclature}»${item?.sku ? ` (арт. ${item.sku})` : ''} has no Goodwix product in catalog ${ports.plan.goodwix.catalogId}`,
        { context: { nomenclature: line.product.nomenclature, characteristic: line.product.characteristic, onecNumber: doc.number } },
      );
    }
    out.push({ ...line, goodwixProductId: String(product.id) });
  }
  return out;
}

function linesDiffer(target: readonly CanonicalLine[], current: readonly CanonicalLine[]): boolean {
  if (target.length !== current.length) return true;
  const byKey = new Map(current.map((l) => [l.key, l]));
  return target.some((t) => {
    const c = byKey.get(t.key);
    if (!c) return true;
    return (
      t.product.nomenclature !== c.product.nomenclature ||
      t.product.characteristic !== c.product.characteristic ||
      t.quantity !== c.quantity ||
      t.cancelledQuantity !== c.cancelledQuantity ||
      t.cancelReason !== c.cancelReason ||
      t.price !== c.price ||
      t.discountPercent !== c.discountPercent ||
      t.vatRate !== c.vatRate
    );
  });
}

function productsOf(lines: readonly CanonicalLine[]): AffectedProduct[] {
  const out = new Map<string, AffectedProduct>();
  for (const l of lines) {
    out.set(productKey(l.product.nomenclature, l.product.characteristic), { nomenclature: l.product.nomenclature, characteristic: l.product.characteristic, goodwixProductId: l.goodwixProductId });
  }
  return [...out.values()];
}

/**
 * Posts the order. A posting 1C refuses (stock short, a closed period) is an answer, not a
 * failure: the document stays written and bound, the order is parked with 1C's words, and the
 * next run posts it again.
 */
async function postOrder(onec: OneCTrade, doc: OneCOrder): Promise<{ doc: OneCOrder; refused: OneCPostingRefusedError | null }> {
  try {
    return { doc: await onec.postOrder(doc.ref), refused: null };
  } catch (error) {
    if (!(error instanceof OneCPostingRefusedError)) throw error;
    return { doc, refused: error };
  }
}

function parkedFrom(error: AppError, previous: ParkedState | null, request: SyncRequest, now: Date): ParkedState {
  return {
    code: error.code,
    message: error.message,
    since: previous && previous.code === error.code ? previous.since : now.toISOString(),
    attempts: (previous?.attempts ?? 0) + 1,
    runId: request.runId,
  };
}

function skipped(request: SyncRequest, message: string): SyncResult {
  return { orderId: request.orderId, outcome: 'skipped', toOneC: 0, toGoodwix: 0, conflicts: [], products: [], message };
}
