/**
 * Reserves in Goodwix as 1C holds them. For each product, 1C's reserve register is read (with
 * a Condition on the products, never unconditioned) and the product's `integration` reserves in
 * Goodwix are replaced by it: one entry per 1C order holding the product, named by its Goodwix
 * order when the exchange made it, by its 1C number when a manager made it in 1C. Replacing is
 * idempotent, so a retried refresh is harmless.
 */
import { Big, quantity } from '#core/decimal';
import type { GoodwixClient } from '#goodwix/client';
import type { GoodwixIntegrationReserve } from '#goodwix/model';
import type { OneCTrade } from '#onec/trade';
import { mapLimited } from '#runs/ports';
import { orderIdFromStableKey, type AffectedProduct } from './order-sync.ts';

/** Goodwix requests at once while pushing reserves: one product per request, so side by side. */
export const RESERVE_PUSH_CONCURRENCY = 8;

export interface ReserveRefreshResult {
  /** Goodwix products whose integration reserves were replaced */
  readonly products: number;
  /** 1C products Goodwix does not list (nothing to show them on) */
  readonly unlisted: readonly string[];
}

const productKey = (nomenclature: string, characteristic: string | null) => `${nomenclature}/${characteristic ?? ''}`;

/** `nomenclature/characteristic/goodwixProductId` ⇄ AffectedProduct, for the run item's product set. */
export function encodeProduct(p: AffectedProduct): string {
  return `${p.nomenclature}/${p.characteristic ?? ''}/${p.goodwixProductId ?? ''}`;
}
export function decodeProduct(s: string): AffectedProduct {
  const [nomenclature = '', characteristic = '', goodwixProductId = ''] = s.split('/');
  return { nomenclature, characteristic: characteristic || null, goodwixProductId: goodwixProductId || null };
}

/**
 * Reads 1C's reserves of the products (`chunk` products per request, one request at a time) and
 * pushes each product's to Goodwix, `concurrency` requests at once.
 */
export async function refreshReserves(
  clients: { onec: OneCTrade; goodwix: GoodwixClient },
  products: readonly AffectedProduct[],
  options: { chunk?: number; concurrency?: number } = {},
): Promise<ReserveRefreshResult> {
  const { onec, goodwix } = clients;
  const wanted = new Map<string, AffectedProduct>();
  for (const p of products) if (p.nomenclature) wanted.set(productKey(p.nomenclature, p.characteristic), p);
  const unlisted: string[] = [];
  let pushed = 0;
  const all = [...wanted.values()];
  const chunk = options.chunk ?? 50;
  for (let i = 0; i < all.length; i += chunk) {
    const part = all.slice(i, i + chunk);
    const rows = await onec.readReserves({ products: new Set(part.map((p) => p.nomenclature)) });
    const summaries = await onec.readOrderSummaries(new Set(rows.map((r) => r.order?.ref).filter((r): r is string => Boolean(r))));
    await mapLimited(part, options.concurrency ?? RESERVE_PUSH_CONCURRENCY, async (product) => {
      let goodwixId = product.goodwixProductId;
      if (!goodwixId) goodwixId = (await goodwix.findProductByErp(product.nomenclature, product.characteristic))?.id.toString() ?? null;
      if (!goodwixId) {
        unlisted.push(productKey(product.nomenclature, product.characteristic));
        return;
      }
      const byOrder = new Map<string, Big>();
      for (const r of rows) {
        if (r.product !== product.nomenclature || (r.characteristic ?? null) !== product.characteristic || !r.order) continue;
        byOrder.set(r.order.ref, (byOrder.get(r.order.ref) ?? new Big(0)).plus(r.reserved).plus(r.toShip));
      }
      const reserves: GoodwixIntegrationReserve[] = [];
      for (const [ref, q] of byOrder) {
        if (q.lte(0)) continue;
        const summary = summaries.get(ref);
        const ours = summary ? orderIdFromStableKey(summary.clientNumber) : null;
        reserves.push({
          quantity: quantity(q),
          ...(ours ? { orderId: Number(ours) } : {}),
          erp: { orderId: ref, number: summary?.number ?? null, date: summary?.date ?? null },
        });
      }
      await goodwix.replaceIntegrationReserves(Number(goodwixId), reserves);
      pushed += 1;
    });
  }
  return { products: pushed, unlisted };
}
