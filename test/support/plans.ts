/** Plans for tests: a valid plan input built from the demo supplier, with overrides. */
import { demoPlan } from '#local/runtime/demo-plan';
import { parsePlan, type Plan, type PlanInput } from '#plans/plan';

let counter = 0;

/** A unique plan id per call (tests share a table only when they mean to). */
export function planId(prefix = 'plan'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export function planInput(overrides: Partial<PlanInput> = {}): PlanInput {
  const base = demoPlan({ onecBaseUrl: 'http://127.0.0.1:1/trade/odata/standard.odata/', goodwixBaseUrl: 'http://127.0.0.1:1' });
  return { ...base, id: planId(), ...overrides };
}

export function aPlan(overrides: Partial<PlanInput> = {}): Plan {
  return parsePlan(planInput(overrides));
}
