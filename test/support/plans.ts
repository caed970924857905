/** Plans for tests: a valid plan input built from the demo supplier, with overrides. */
import { LOCAL_SECRETS_PREFIX, demoPlan, demoSecrets } from '#local/runtime/demo-plan';
import type { PlanAccess } from '#plans/access';
import { parsePlan, type Plan, type PlanInput } from '#plans/plan';
import { LocalSecretsProvider } from '#secrets/secrets';

/** The local runtime's access rules (`SECRETS_PREFIX=local/`, plain http allowed), for ports built by hand. */
export const localAccess: PlanAccess = { secretsPrefix: LOCAL_SECRETS_PREFIX, allowPlainHttp: true, allowedHosts: null };

let counter = 0;

/** A unique plan id per call (tests share a table only when they mean to). */
export function planId(prefix = 'plan'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** The demo plan under a new id (or `overrides.id`), naming its own secrets (`local/<id>/…`). */
export function planInput(overrides: Partial<PlanInput> = {}): PlanInput {
  const id = overrides.id ?? planId();
  const base = demoPlan({ onecBaseUrl: 'http://127.0.0.1:1/trade/odata/standard.odata/', goodwixBaseUrl: 'http://127.0.0.1:1' }, { id });
  return { ...base, ...overrides, id };
}

export function aPlan(overrides: Partial<PlanInput> = {}): Plan {
  return parsePlan(planInput(overrides));
}

/**
 * The demo supplier's credentials under every plan's own names (`local/<id>/goodwix-password`,
 * `local/<id>/onec-credentials`): for tests whose plans are the demo plan under new ids and
 * whose subject is not secrets.
 */
export class DemoSecretsOfAnyPlan extends LocalSecretsProvider {
  override async getSecret(ref: string): Promise<string> {
    const planId = new RegExp(`^${LOCAL_SECRETS_PREFIX}([a-z0-9-]+)/(?:goodwix-password|onec-credentials)$`).exec(ref)?.[1];
    if (planId) this.set(ref, demoSecrets(planId)[ref]!);
    return super.getSecret(ref);
  }
}
