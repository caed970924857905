/**
 * The demo plan: the demo supplier's exchange (local/demo/supplier.ts) pointed at the two
 * sandboxes, with its secrets for the local secrets provider. docs/plans.md shows it.
 */
import { demoGoodwix, demoOneC } from '#local/demo/supplier';
import type { PlanInput } from '#plans/plan';

export const DEMO_PLAN_ID = 'demo';

export const demoSecretRefs = {
  goodwixPassword: 'local/demo/goodwix-password',
  oneCCredentials: 'local/demo/onec-credentials',
} as const;

/** What the local secrets provider holds for the demo plan (the sandboxes' demo credentials). */
export function demoSecrets(): Record<string, string | object> {
  return {
    [demoSecretRefs.goodwixPassword]: demoGoodwix.supplier.password,
    [demoSecretRefs.oneCCredentials]: { login: demoOneC.login, password: demoOneC.password },
  };
}

export interface DemoPlanTargets {
  /** The 1C sandbox's OData root: http://127.0.0.1:<port>/trade/odata/standard.odata/ */
  readonly onecBaseUrl: string;
  /** The Goodwix sandbox's root: http://127.0.0.1:<port> */
  readonly goodwixBaseUrl: string;
}

export function demoPlan(targets: DemoPlanTargets, overrides: Partial<Pick<PlanInput, 'schedule' | 'name'>> = {}): PlanInput {
  return {
    id: DEMO_PLAN_ID,
    name: overrides.name ?? `${demoGoodwix.supplier.name}: Goodwix ⇄ 1С (demo)`,
    goodwix: {
      baseUrl: targets.goodwixBaseUrl,
      catalogId: demoGoodwix.catalogId,
      email: demoGoodwix.supplier.email,
      passwordSecret: demoSecretRefs.goodwixPassword,
    },
    onec: {
      baseUrl: targets.onecBaseUrl,
      credentialsSecret: demoSecretRefs.oneCCredentials,
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
