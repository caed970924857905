/**
 * What names an order and its settings across the exchange, shared by the synchronizer, the
 * stages and the reserves: the stable key the exchange writes into every 1C order it creates,
 * the fingerprint of an order's shipments (what the collect stage probes), and the plan's 1C
 * references as Ref_Keys.
 */
import { createHash } from 'node:crypto';
import type { OneCShipment } from '#onec/documents';
import { PLAN_ONEC_REFS, refKey, refLabel, type Plan } from '#plans/plan';
import { UnresolvedPlanRefError } from './errors.ts';

/** The stable key written into `НомерПоДаннымКлиента` of every order the exchange creates. */
export function stableKey(orderId: string): string {
  return `GW-${orderId}`;
}

/** The Goodwix order id a 1C order's stable key names, or null for an order made in 1C. */
export function orderIdFromStableKey(key: string): string | null {
  return /^GW-(\d+)$/.exec(key)?.[1] ?? null;
}

/** Shipments do not move the order's DataVersion: their own versions are part of the probe. */
export function shipmentsFingerprint(shipments: readonly Pick<OneCShipment, 'ref' | 'dataVersion' | 'posted' | 'deletionMark'>[]): string {
  const parts = shipments.map((s) => `${s.ref}:${s.dataVersion}:${s.posted ? 1 : 0}:${s.deletionMark ? 1 : 0}`).sort();
  return parts.length === 0 ? '-' : createHash('sha256').update(parts.join('|')).digest('base64url').slice(0, 22);
}

type PlanRefField = (typeof PLAN_ONEC_REFS)[number]['field'];

/**
 * The plan's 1C references as Ref_Keys: a reference given by name counts only once the plan
 * check resolved it (its stored `ref`); the sync never resolves a name itself.
 */
export function planRefs(plan: Plan): Record<PlanRefField, string> {
  const out = {} as Record<PlanRefField, string>;
  for (const { field, label } of PLAN_ONEC_REFS) {
    const setting = plan.orders[field];
    const ref = refKey(setting);
    if (ref === null) {
      throw new UnresolvedPlanRefError(`plan ${plan.id}: ${label} ${refLabel(setting)} is not resolved to a Ref_Key yet: run the plan check`, { context: { planId: plan.id, field } });
    }
    out[field] = ref;
  }
  return out;
}
