/**
 * Errors about exchange plans: one base, `PlanError`, and a subclass per way a plan can be
 * wrong or missing.
 *
 * | class                   | code            | retryable | when |
 * |-------------------------|-----------------|-----------|------|
 * | PlanValidationError     | PLAN_INVALID    | no        | the plan does not match the schema; `issues` lists every problem with its field path |
 * | PlanNotFoundError       | PLAN_NOT_FOUND  | no        | no plan with that id |
 * | PlanAccessError         | PLAN_ACCESS_DENIED | no     | a stored plan breaks the deployment's access rules at connect (`#plans/access`) |
 */
import { AppError, type ErrorContext } from '#platform/errors';

export abstract class PlanError extends AppError {}

export class PlanValidationError extends PlanError {
  readonly code = 'PLAN_INVALID';
  readonly retryable = false;
  /** One line per problem, each starting with its path: "plan.schedule.start: expected HH:MM". */
  readonly issues: readonly string[];

  constructor(issues: readonly string[], options: { context?: ErrorContext } = {}) {
    super(`Invalid plan: ${issues.join('; ')}`, options);
    this.issues = issues;
  }
}

export class PlanNotFoundError extends PlanError {
  readonly code = 'PLAN_NOT_FOUND';
  readonly retryable = false;

  constructor(planId: string) {
    super(`Plan ${planId} not found`, { context: { planId } });
  }
}

/**
 * A plan names a secret outside its own, plain http to a remote host, or a host the deployment
 * does not allow (`#plans/access`): refused before any secret is read or any connection made.
 * Plans saved since the rules exist never get here; a plan stored before them does.
 */
export class PlanAccessError extends PlanError {
  readonly code = 'PLAN_ACCESS_DENIED';
  readonly retryable = false;
  readonly issues: readonly string[];

  constructor(planId: string, issues: readonly string[]) {
    super(`Plan ${planId} is refused: ${issues.join('; ')}`, { context: { planId } });
    this.issues = issues;
  }
}
