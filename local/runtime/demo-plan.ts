/**
 * The demo plan: the demo supplier's exchange (local/demo/supplier.ts) pointed at the two
 * sandboxes, with its secrets for the local secrets provider. docs/plans.md shows it.
 */
import { demoGoodwix, demoOneC } from '#local/demo/supplier';
import type { PlanInput } from '#plans/plan';

export const DEMO_PLAN_ID = 'demo';

/**
 * The local runtime's secrets prefix (`SECRETS_PREFIX`): a plan's secrets are named below
 * `local/<planId>/`, as in AWS below `goodwix-1c-exchange/<stage>/<planId>/`.
 */
export const LOCAL_SECRETS_PREFIX = 'local/';

/** A plan's secret names in the local runtime (the demo plan's by default). */
export function secretRefsOf(planId: string) {
  return {
    goodwixPassword: `${LOCAL_SECRETS_PREFIX}${planId}/goodwix-password`,
    oneCCredentials: `${LOCAL_SECRETS_PREFIX}${planId}/onec-credentials`,
  } as const;
}

export const demoSecretRefs = secretRefsOf(DEMO_PLAN_ID);

/**
 * What the local secrets provider holds for the demo plan (the sandboxes' demo credentials),
 * or for other plans of the demo supplier (tests), each under its own names.
 */
export function demoSecrets(...planIds: string[]): Record<string, string | object> {
  const out: Record<string, string | object> = {};
  for (const planId of planIds.length ? planIds : [DEMO_PLAN_ID]) {
    const refs = secretRefsOf(planId);
    out[refs.goodwixPassword] = demoGoodwix.supplier.password;
    out[refs.oneCCredentials] = { login: demoOneC.login, password: demoOneC.password };
  }
  return out;
}

export interface DemoPlanTargets {
  /** The 1C sandbox's OData root: http://127.0.0.1:<port>/trade/odata/standard.odata/ */
  readonly onecBaseUrl: string;
  /** The Goodwix sandbox's root: http://127.0.0.1:<port> */
  readonly goodwixBaseUrl: string;
}

/** The demo plan (`overrides.id`: the same plan under another id, naming its own secrets). */
export function demoPlan(targets: DemoPlanTargets, overrides: Partial<Pick<PlanInput, 'schedule' | 'name' | 'id'>> = {}): PlanInput {
  const id = overrides.id ?? DEMO_PLAN_ID;
  const refs = secretRefsOf(id);
  return {
    id,
    name: overrides.name ?? `${demoGoodwix.supplier.name}: Goodwix ⇄ 1С (demo)`,
    goodwix: {
      baseUrl: targets.goodwixBaseUrl,
      catalogId: demoGoodwix.catalogId,
      email: demoGoodwix.supplier.email,
      passwordSecret: refs.goodwixPassword,
    },
    onec: {
      baseUrl: targets.onecBaseUrl,
      credentialsSecret: refs.oneCCredentials,
      timeoutMs: 15_000,
      coldStartTimeoutMs: 60_000,
      maxConcurrency: 2,
    },
    schedule: overrides.schedule ?? {
      enabled: true,
      timeZone: 'Europe/Moscow',
      start: '00:00',
      end: '00:00',
      everyMinutes: 5,
      daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
    },
    orders: {
      organization: demoOneC.organization.ref,
      warehouse: demoOneC.warehouses.main.ref,
      manager: demoOneC.manager.ref,
      agreement: demoOneC.agreements.standard.ref,
      cancelReason: demoOneC.cancelReasons.fromSite.ref,
      settlement: 'ПоЗаказам',
      newOrderStatus: 'КОбеспечению',
      reservation: 'СоСклада',
    },
  };
}
