/**
 * Reserves in Goodwix as 1C holds them on the plan's warehouse: each product's `integration`
 * reserves in Goodwix are replaced by 1C's, one entry per 1C order holding the product, named by
 * its Goodwix order when the exchange made it, by its 1C number when a manager made it in 1C.
 * Replacing is idempotent, so a retried push is harmless.
 *
 * Two ways in, one result:
 * * `refreshReserves`: the products a run's orders touched, read from 1C with a Condition on
 *   the products (and the warehouse), pushed whatever Goodwix was told before;
 * * `reconcileReserves`: every run, the warehouse's whole reserve balance read set-wise (a
 *   Condition on `Склад`, rows with a reserve only, paged), compared with what Goodwix was last
 *   told (`ReserveState`), and only the products that differ pushed — a product whose last
 *   reserve went away gets its `integration` reserves cleared.
 * Both report what they told Goodwix, which goes into the state, so the next reconciliation
 * sees the products a run pushed as unchanged.
 */
import { Big, quantity } from '#core/decimal';
import type { GoodwixClient } from '#goodwix/client';
import { GoodwixNotFoundError } from '#goodwix/errors';
import type { GoodwixIntegrationReserve } from '#goodwix/model';
import type { OneCOrderSummary, OneCReserve, OneCTrade } from '#onec/trade';
import { mapLimited } from '#platform/concurrency';
import type { Plan } from '#plans/plan';
import { productKey, type AffectedProduct } from '#core/canonical';
import { orderIdFromStableKey } from './order-keys.ts';
import { reserveHash, type ReserveState, type ReserveStateEntry } from '#store/reserve-state';

/** Goodwix requests at once while pushing reserves: one product per request, so side by side. */
export const RESERVE_PUSH_CONCURRENCY = 8;
/** Products pushed between two looks at the time left and two saves of the state. */
export const RECONCILE_BATCH = 200;

export interface ReserveRefreshResult {
  /** Goodwix products whose integration reserves were replaced */
  readonly products: number;
  /** 1C products Goodwix does not list (nothing to show them on) */
  readonly unlisted: readonly string[];
  /** What Goodwix was told, per product (null: no reserves), for the reserve state */
  readonly told: ReadonlyMap<string, ReserveStateEntry | null>;
}

export interface ReserveReconcileResult extends ReserveRefreshResult {
  /** False when `canGoOn` stopped it: what was pushed is in `told`, the rest waits for a next call */
  readonly complete: boolean;
  /** Products whose reserves differed from what Goodwix was last told */
  readonly changed: number;
}


/**
 * The Goodwix catalog a plan tells its reserves to: the account's address and the catalog's
 * number. The reserve state names it; a state about another catalog (the plan moved, or a
 * state kept from before the catalog was named) is started over and seeded from this one.
 */
export function reserveCatalog(plan: Pick<Plan, 'goodwix'>): string {
  return `${plan.goodwix.baseUrl.replace(/\/+$/u, '')}#${plan.goodwix.catalogId}`;
}

/** `nomenclature/characteristic/goodwixProductId` ⇄ AffectedProduct, for the run item's product set. */
export function encodeProduct(p: AffectedProduct): string {
  return `${p.nomenclature}/${p.characteristic ?? ''}/${p.goodwixProductId ?? ''}`;
}
export function decodeProduct(s: string): AffectedProduct {
  const [nomenclature = '', characteristic = '', goodwixProductId = ''] = s.split('/');
  return { nomenclature, characteristic: characteristic || null, goodwixProductId: goodwixProductId || null };
}

/** Per product, per 1C order: what the order holds (`ВРезерве` + `КОтгрузке`, all recipients). */
type Held = Map<string, Map<string, Big>>;

function hold(into: Held, r: OneCReserve): void {
  if (!r.product || !r.order) return;
  const key = productKey(r.product, r.characteristic ?? null);
  const byOrder = into.get(key) ?? new Map<string, Big>();
  byOrder.set(r.order.ref, (byOrder.get(r.order.ref) ?? new Big(0)).plus(r.reserved).plus(r.toShip));
  into.set(key, byOrder);
}

/** The orders' positive holdings as quantities: what the hash and the Goodwix entries are made of. */
function positive(byOrder: ReadonlyMap<string, Big> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [ref, q] of byOrder ?? []) if (q.gt(0)) out.set(ref, quantity(q));
  return out;
}

function entries(held: ReadonlyMap<string, string>, summaries: ReadonlyMap<string, OneCOrderSummary>): GoodwixIntegrationReserve[] {
  return [...held].map(([ref, q]) => {
    const summary = summaries.get(ref);
    const ours = summary ? orderIdFromStableKey(summary.clientNumber) : null;
    return {
      quantity: q,
      ...(ours ? { orderId: Number(ours) } : {}),
      erp: { orderId: ref, number: summary?.number ?? null, date: summary?.date ?? null },
    };
  });
}

type Clients = { onec: OneCTrade; goodwix: GoodwixClient };

/**
 * Pushes the reserves of `products` (each with what 1C holds for it, maybe nothing) to Goodwix,
 * `concurrency` requests at once, reading the names of the orders holding them in few requests.
 */
async function push(
  clients: Clients,
  products: readonly { key: string; goodwixId: string | null; held: Map<string, string> }[],
  concurrency: number,
): Promise<ReserveRefreshResult> {
  const refs = new Set<string>();
  for (const p of products) for (const ref of p.held.keys()) refs.add(ref);
  const summaries = refs.size ? await clients.onec.readOrderSummaries(refs) : new Map<string, OneCOrderSummary>();
  const unlisted: string[] = [];
  const told = new Map<string, ReserveStateEntry | null>();
  let pushed = 0;
  const lookUp = async (key: string): Promise<string | null> => {
    const { nomenclature, characteristic } = decodeProduct(key);
    return (await clients.goodwix.findProductByErp(nomenclature, characteristic))?.id.toString() ?? null;
  };
  await mapLimited(products, concurrency, async (product) => {
    let goodwixId = product.goodwixId ?? (await lookUp(product.key));
    if (goodwixId) {
      try {
        await clients.goodwix.replaceIntegrationReserves(Number(goodwixId), entries(product.held, summaries));
      } catch (error) {
        if (!(error instanceof GoodwixNotFoundError)) throw error;
        // The id the state or the order knew is gone from the catalog (the product deleted, or
        // uploaded again under a new id): looked up afresh. Thrown on, it would stop its whole
        // batch, and every later run at the same product, since nothing would ever change it.
        goodwixId = await lookUp(product.key);
        if (goodwixId) await clients.goodwix.replaceIntegrationReserves(Number(goodwixId), entries(product.held, summaries));
      }
    }
    if (!goodwixId) {
      if (product.held.size) unlisted.push(product.key);
      // Nothing to show them on, and nothing was shown: the state forgets the product.
      told.set(product.key, null);
      return;
    }
    told.set(product.key, product.held.size ? { hash: reserveHash(product.held), goodwixId } : null);
    pushed += 1;
  });
  return { products: pushed, unlisted, told };
}

/**
 * Reads 1C's reserves of the products on the warehouse (URL-bounded chunks of products, one
 * request at a time) and pushes each product's to Goodwix, `concurrency` requests at once.
 */
export async function refreshReserves(
  clients: Clients,
  products: readonly AffectedProduct[],
  options: { warehouse?: string; chunk?: number; concurrency?: number } = {},
): Promise<ReserveRefreshResult> {
  const wanted = new Map<string, AffectedProduct>();
  for (const p of products) if (p.nomenclature) wanted.set(productKey(p.nomenclature, p.characteristic), p);
  const all = [...wanted.values()];
  const chunk = options.chunk ?? 50;
  const unlisted: string[] = [];
  const told = new Map<string, ReserveStateEntry | null>();
  let pushed = 0;
  for (let i = 0; i < all.length; i += chunk) {
    const part = all.slice(i, i + chunk);
    const held: Held = new Map();
    const rows = await clients.onec.readReserves({ products: new Set(part.map((p) => p.nomenclature)), ...(options.warehouse ? { warehouse: options.warehouse } : {}) });
    for (const r of rows) hold(held, r);
    const result = await push(clients, part.map((p) => {
      const key = productKey(p.nomenclature, p.characteristic);
      return { key, goodwixId: p.goodwixProductId, held: positive(held.get(key)) };
    }), options.concurrency ?? RESERVE_PUSH_CONCURRENCY);
    pushed += result.products;
    unlisted.push(...result.unlisted);
    for (const [k, v] of result.told) told.set(k, v);
  }
  return { products: pushed, unlisted, told };
}

/**
 * Every product's reserves on the warehouse against what Goodwix was last told (`state`): 1C's
 * balance read set-wise, the products that differ pushed `batch` at a time. Before each batch
 * `canGoOn(first)` may stop it (time short); after each, `record` gets what Goodwix was told, so
 * a stopped or crashed reconciliation goes on from there the next time (the differences are
 * computed afresh, and a product pushed twice is harmless).
 */
export async function reconcileReserves(
  clients: Clients,
  warehouse: string,
  state: ReserveState,
  options: {
    record: (told: ReadonlyMap<string, ReserveStateEntry | null>, pushed: number) => Promise<void>;
    canGoOn?: (first: boolean) => boolean;
    batch?: number;
    concurrency?: number;
    pageSize?: number;
  },
): Promise<ReserveReconcileResult> {
  const held: Held = new Map();
  for await (const r of clients.onec.readWarehouseReserves(warehouse, options.pageSize ? { pageSize: options.pageSize } : {})) hold(held, r);
  const changed: { key: string; goodwixId: string | null; held: Map<string, string> }[] = [];
  for (const [key, byOrder] of held) {
    const now = positive(byOrder);
    if (now.size === 0) continue;
    const before = state.get(key);
    if (before?.hash !== reserveHash(now)) changed.push({ key, goodwixId: before?.goodwixId ?? null, held: now });
  }
  for (const [key, before] of state) {
    if (positive(held.get(key)).size === 0) changed.push({ key, goodwixId: before.goodwixId, held: new Map() });
  }
  changed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const batch = options.batch ?? RECONCILE_BATCH;
  const unlisted: string[] = [];
  const told = new Map<string, ReserveStateEntry | null>();
  let pushed = 0;
  for (let i = 0; i < changed.length; i += batch) {
    if (options.canGoOn && !options.canGoOn(i === 0)) return { products: pushed, unlisted, told, complete: false, changed: changed.length };
    const result = await push(clients, changed.slice(i, i + batch), options.concurrency ?? RESERVE_PUSH_CONCURRENCY);
    await options.record(result.told, result.products);
    pushed += result.products;
    unlisted.push(...result.unlisted);
    for (const [k, v] of result.told) told.set(k, v);
  }
  return { products: pushed, unlisted, told, complete: true, changed: changed.length };
}

export interface ReserveSeedResult {
  /** False when `canGoOn` stopped it; `cursor` is where it goes on */
  readonly complete: boolean;
  readonly cursor: string | null;
  /** Goodwix products read, and those found holding `integration` reserves */
  readonly products: number;
  readonly withReserves: number;
}

/**
 * What Goodwix shows as `integration` reserves, product by product, as state entries: the state
 * only knows what this exchange told Goodwix, so reserves it showed before (a plan's first run
 * after the upgrade, a state lost) would never be compared with 1C, and never cleared. The
 * catalog's products are read a page at a time from `cursor`, their reserves asked for (100
 * products a request), and each page's entries handed to `record` (null: none shown), with the
 * cursor of the next page; `canGoOn` may stop it before a page. A product Goodwix knows no ERP
 * nomenclature of cannot be compared with 1C and is left alone.
 */
export async function seedReserveState(
  goodwix: GoodwixClient,
  cursor: string | null,
  options: {
    record: (told: ReadonlyMap<string, ReserveStateEntry | null>, next: string | null) => Promise<void>;
    canGoOn?: (first: boolean) => boolean;
  },
): Promise<ReserveSeedResult> {
  let products = 0;
  let withReserves = 0;
  for (let first = true; ; first = false) {
    if (options.canGoOn && !options.canGoOn(first)) return { complete: false, cursor, products, withReserves };
    const page = await goodwix.productPage(cursor);
    const mapped = page.items.filter((p) => p.nomenclatureId);
    const reserves = mapped.length ? await goodwix.reserves(mapped.map((p) => p.id)) : [];
    const byId = new Map(reserves.map((r) => [r.productId, r]));
    const told = new Map<string, ReserveStateEntry | null>();
    for (const p of mapped) {
      const held = new Map<string, Big>();
      for (const r of byId.get(p.id)?.reserves ?? []) {
        if (r.source !== 'integration') continue;
        // An entry not naming its 1C order can match nothing 1C holds: its own key makes the hash differ.
        const ref = r.erp?.orderId ?? `goodwix:${r.id}`;
        held.set(ref, (held.get(ref) ?? new Big(0)).plus(r.quantity));
      }
      const shown = positive(held);
      if (shown.size) withReserves += 1;
      told.set(productKey(p.nomenclatureId, p.characteristicId), shown.size ? { hash: reserveHash(shown), goodwixId: String(p.id) } : null);
    }
    products += page.items.length;
    await options.record(told, page.nextCursor);
    cursor = page.nextCursor;
    if (cursor === null) return { complete: true, cursor, products, withReserves };
  }
}
