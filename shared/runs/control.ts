/**
 * The control API's use cases: plans (create/replace/get/list/delete), the plan check, manual
 * runs and resyncs, the run journal and an order's sync record. HTTP lives in
 * `functions/api`; here are plain functions over the ports.
 *
 * Every id from a path is checked against its rule before any port sees it: an id that cannot
 * exist is "not found" (a 2,100-character plan id would otherwise be a DynamoDB
 * ValidationException, i.e. a 500), and what errors echo of it is cut short.
 */
import { planAccessIssues } from '#plans/access';
import { PlanNotFoundError, PlanValidationError } from '#plans/errors';
import { isPlanId, PLAN_ID_RULE, PLAN_ONEC_REFS, safeParsePlan, type PlanOneCRef } from '#plans/plan';
import { secretScope } from '#plans/access';
import { getOneCCredentials } from '#secrets/secrets';
import { nextSlot } from '#plans/schedule';
import { AppError } from '#platform/errors';
import { GOODWIX_ORDER_ID } from '#goodwix/model';
import type { OrderRecordReader, OrderState, OrderSummary } from '#store/order-records';
import type { Page, PageRequest } from '#store/paging';
import { PlanExistsError } from '#store/errors';
import type { PlanCheckRecord, PlanPage, StoredPlan } from '#store/plans';
import type { RunOrderEntry, RunRecord } from '#store/runs';
import { checkPlan, type CheckOptions, type CheckPorts, type PlanCheckResult } from './check-plan.ts';
import { RunInProgressError, RunNotFoundError } from './errors.ts';
import { isRunId } from './run-id.ts';
import { closeAbandonedRun, startRun } from '#exchange/start-run';
import { clock } from '#platform/clock';
import { log } from '#platform/logger';
import type { CursorRepository } from '#store/cursors';
import type { StartPorts } from './ports.ts';

/** The API's ports: runs, plus what the check and the order records need. */
export interface ControlPorts extends StartPorts, CheckPorts {
  readonly orderRecords: OrderRecordReader;
  readonly cursors?: CursorRepository;
}

/** Fields the API adds to a plan when showing it; accepted back and ignored (except `version`). */
const VIEW_FIELDS = ['version', 'createdAt', 'updatedAt', 'scheduleState', 'check'] as const;

/** A Goodwix order id, as the order queue takes it (`#aws/order-queue`): anything else would start a run that never ends. */
export const ORDER_ID_PATTERN = GOODWIX_ORDER_ID;

export class OrderRecordNotFoundError extends AppError {
  readonly code = 'ORDER_NOT_FOUND';
  readonly retryable = false;
  constructor(planId: string, orderId: string, why = `has no sync record in plan ${planId}`) {
    super(`Order ${orderId} ${why}`, { context: { planId, orderId } });
  }
}

export class OrderNotParkedError extends AppError {
  readonly code = 'ORDER_NOT_PARKED';
  readonly retryable = false;
  constructor(planId: string, orderId: string) {
    super(`Order ${orderId} of plan ${planId} is not parked: only a parked order can be dismissed`, { context: { planId, orderId } });
  }
}

/** An id as errors may echo it: ids that break their rule can be kilobytes long. */
function shownId(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}

/** The plan id from a path, or PLAN_NOT_FOUND: no plan can have an id that is not a slug. */
function planIdOf(planId: string): string {
  if (!isPlanId(planId)) throw new PlanNotFoundError(shownId(planId));
  return planId;
}

function orderIdOf(planId: string, orderId: string): string {
  if (!ORDER_ID_PATTERN.test(orderId)) throw new OrderRecordNotFoundError(planId, shownId(orderId), 'is not a Goodwix order id (a whole number from 1, at most 18 digits)');
  return orderId;
}

export interface PlanView extends Record<string, unknown> {
  readonly id: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly scheduleState: { readonly lastSlot: string | null; readonly nextSlot: string | null };
  /** The last plan check (null: never checked); the tick runs the plan only once a check passed */
  readonly check: (PlanCheckRecord & { readonly passedOnceAt: string | null }) | null;
}

/** The plan as the API shows it: the plan (references to secrets only), its version and schedule state. */
export function planView(stored: StoredPlan, now: Date): PlanView {
  const next = stored.plan.schedule.enabled ? nextSlot(stored.plan.schedule, now) : null;
  return {
    ...stored.plan,
    version: stored.version,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    scheduleState: { lastSlot: stored.lastSlot ?? null, nextSlot: next?.slot ?? null },
    check: stored.check ? { ...stored.check, passedOnceAt: stored.checkPassedAt ?? null } : null,
  };
}

export interface SavePlanOptions {
  /** Replace only this version (If-Match, or `version` in the body) */
  readonly expectedVersion?: number;
  /** Create only (If-None-Match: *) */
  readonly createOnly?: boolean;
  /** Replace only, whatever the version (If-Match: *) */
  readonly replaceOnly?: boolean;
}

/**
 * Creates or replaces plan `planId` from a request body. The body's `id` may be left out; if
 * given it must equal `planId`. Beyond the schema, the plan must keep the deployment's access
 * rules (`#plans/access`): its secrets below `<prefix><planId>/`, https, allowed hosts. A `version` in the body (as answered by GET) is the expected
 * version unless the options name one.
 */
export async function savePlan(ports: ControlPorts, planId: string, body: unknown, options: SavePlanOptions = {}): Promise<{ plan: PlanView; created: boolean }> {
  // The path names the plan to create, so a bad id there is the plan's fault (400), not 404.
  if (!isPlanId(planId)) throw new PlanValidationError([`plan.id: ${PLAN_ID_RULE}`]);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new PlanValidationError(['plan: expected a JSON object']);
  const fields: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  let expectedVersion = options.expectedVersion;
  if (expectedVersion === undefined && fields['version'] !== undefined) {
    // Safe integers only: DynamoDB refuses numbers past 38 digits, which would be a 500.
    if (!Number.isSafeInteger(fields['version']) || (fields['version'] as number) < 1) throw new PlanValidationError(['plan.version: expected a positive integer']);
    expectedVersion = fields['version'] as number;
  }
  for (const key of VIEW_FIELDS) delete fields[key];
  if (fields['id'] === undefined) fields['id'] = planId;
  else if (fields['id'] !== planId) throw new PlanValidationError([`plan.id: must equal the id in the path (${planId})`]);
  const parsed = safeParsePlan(fields);
  if (!parsed.ok) throw new PlanValidationError(parsed.issues);
  // The deployment's rules: this plan's own secrets only, https, allowed hosts (#plans/access).
  const refused = planAccessIssues(parsed.plan, ports.access);
  if (refused.length) throw new PlanValidationError(refused);
  const now = clock(ports);
  if (parsed.plan.orders.exportFrom === undefined) {
    // No exportFrom: the plan's creation time, so a new plan never copies the order history.
    // Read without parsing the stored plan: a plan a rule added since refuses is replaced this way.
    parsed.plan.orders.exportFrom = (await ports.plans.storedExportFrom(planId)) ?? now.toISOString();
  }
  const { stored, created } = await ports.plans.put(parsed.plan, {
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
    ...(options.createOnly ? { createOnly: true } : {}),
    ...(options.replaceOnly ? { replaceOnly: true } : {}),
    now,
  });
  return { plan: planView(stored, now), created };
}

export async function getPlan(ports: ControlPorts, planId: string): Promise<PlanView> {
  const stored = await ports.plans.get(planIdOf(planId));
  if (!stored) throw new PlanNotFoundError(planId);
  return planView(stored, clock(ports));
}

export async function listPlans(ports: ControlPorts, request: PageRequest): Promise<Page<PlanView> & Pick<PlanPage, 'invalid'>> {
  const page = await ports.plans.list(request);
  const now = clock(ports);
  return { items: page.items.map((p) => planView(p, now)), invalid: page.invalid, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}

export interface DeletePlanOptions {
  /** Delete only this version (If-Match) */
  readonly expectedVersion?: number;
  /** Only if there is no plan (If-None-Match: *): nothing is ever deleted; PLAN_EXISTS (412) for a plan, 404 without */
  readonly onlyIfNone?: boolean;
}

/**
 * Deletes the plan; PLAN_RUNNING (409) while a run holds it. A run whose lock expired is closed
 * as abandoned first (`RUN_ABANDONED`, as a start taking the lock over closes it): the delete
 * removes that lock, the only pointer to the run, and it would stay `running` for ever, without
 * its run.failed. Closed first, so a delete cut short leaves no such run behind.
 */
export async function deletePlan(ports: ControlPorts, planId: string, options: DeletePlanOptions = {}): Promise<void> {
  const id = planIdOf(planId);
  if (options.onlyIfNone) {
    const version = await ports.plans.storedVersion(id);
    throw version === null ? new PlanNotFoundError(planId) : new PlanExistsError(id, version);
  }
  const now = clock(ports);
  const lock = await ports.locks.get(id);
  if (lock && Date.parse(lock.expiresAt) <= now.getTime()) {
    await closeAbandonedRun(ports, id, lock.runId, { expiredAt: lock.expiresAt, fate: 'its plan was deleted' });
  }
  const deleted = await ports.plans.delete(id, { ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }), now });
  if (!deleted) throw new PlanNotFoundError(planId);
}

/**
 * The plan check as the API runs it: names of 1C references are resolved, and what resolved to
 * one item is stored on the plan with its Ref_Key (`{ name, ref }`, a new version of the plan,
 * only if nobody replaced it meanwhile). The outcome is kept on the plan item (`check`): the
 * tick runs a plan only once a check passed.
 */
export async function checkPlanById(ports: ControlPorts, planId: string, options: CheckOptions = { fieldMapping: false }): Promise<PlanCheckResult> {
  const stored = await ports.plans.get(planIdOf(planId));
  if (!stored) throw new PlanNotFoundError(planId);
  const result = await checkPlan(ports, stored.plan, { ...options, resolveNames: true });
  let version = stored.version;
  if (result.resolved.length) {
    const orders = { ...stored.plan.orders };
    for (const r of result.resolved) orders[r.field] = { name: r.name, ref: r.ref };
    try {
      version = (await ports.plans.put({ ...stored.plan, orders }, { expectedVersion: stored.version, now: clock(ports) })).stored.version;
    } catch (error) {
      // Replaced while we checked: the new version is unchecked, its names resolved by its own check.
      if (error instanceof AppError && error.code === 'PLAN_VERSION_CONFLICT') {
        log(ports).warn('plan replaced during its check: resolved names not stored', { planId });
        return result;
      }
      throw error;
    }
  }
  await ports.plans.recordCheck(planId, { checkedAt: result.checkedAt, ok: result.ok, version, problems: result.problems });
  return result;
}

/** The plan fields `GET /plans/{id}/onec/choices` lists candidates for. */
export const CHOICE_FIELDS = PLAN_ONEC_REFS.map((r) => r.field);
export type ChoiceField = PlanOneCRef['field'];

export interface OneCChoices {
  readonly field: ChoiceField;
  /** The 1C catalog, as people know it: "Склад" */
  readonly label: string;
  readonly items: { name: string; ref: string; code: string | null; deletionMark: boolean }[];
  /** More items match than `limit`: narrow `q` */
  readonly truncated: boolean;
}

export type ChoicesQuery = { field: ChoiceField; q?: string | undefined; limit: number };

/**
 * The choice list of one of the plan's 1C references, read from the plan's 1C base with its
 * credentials: items whose name contains `q` (any case), by name, at most `limit`. The query is
 * read after the plan: an unknown plan is 404 whatever the query says.
 */
export async function listOneCChoices(ports: ControlPorts, planId: string, readQuery: () => ChoicesQuery): Promise<OneCChoices> {
  const stored = await ports.plans.get(planIdOf(planId));
  if (!stored) throw new PlanNotFoundError(planId);
  const query = readQuery();
  const spec = PLAN_ONEC_REFS.find((r) => r.field === query.field)!;
  // The plan's rules first: a plan breaking them is never connected to (as in the check).
  const refused = planAccessIssues(stored.plan, ports.access);
  if (refused.length) throw new PlanValidationError(refused);
  const credentials = await getOneCCredentials(ports.secrets, stored.plan.onec.credentialsSecret, secretScope(ports.access, planId));
  const oneC = ports.connectors.oneC(stored.plan, credentials);
  try {
    if (!oneC.choices) throw new Error('this 1C connection cannot list choices');
    const found = await oneC.choices(spec.catalog, { ...(query.q ? { contains: query.q } : {}), limit: query.limit });
    return {
      field: query.field,
      label: spec.label,
      items: found.slice(0, query.limit).map((c) => ({ name: c.name, ref: c.ref, code: c.code, deletionMark: c.deletionMark })),
      truncated: found.length > query.limit,
    };
  } finally {
    oneC.close?.();
  }
}

/** "Выполнить обмен": starts a manual run; RunInProgressError (409) while one runs. */
export async function startManualRun(ports: ControlPorts, planId: string): Promise<RunRecord> {
  return startRun(ports, { planId: planIdOf(planId), trigger: 'manual' });
}

/** A resync asked while a run held the plan: recorded on the plan, started by the tick once that run is over. */
export interface ResyncRequested {
  readonly planId: string;
  readonly orderId: string;
  readonly trigger: 'resync';
  readonly status: 'requested';
  /** The run that held the plan when it was asked */
  readonly afterRunId: string | null;
}

/**
 * Starts a run for one order (trigger `resync`). While a run holds the plan the resync is not
 * refused: it is recorded on the plan and the tick starts it as soon as the plan is free (the
 * next minute after that run). A dismissed order is brought back first, so the run tries it.
 * An id that is not a Goodwix order id is ORDER_NOT_FOUND before any run starts: the order
 * queue would refuse its message and the run would never end, holding the plan. A stored plan
 * that no longer reads is STORE_CORRUPT_ITEM (409) before anything changes: the run would read it.
 */
export async function requestResync(ports: ControlPorts, planId: string, orderId: string): Promise<RunRecord | ResyncRequested> {
  orderIdOf(planIdOf(planId), orderId);
  await requirePlan(ports, planId);
  await ports.orderRecords.undismiss?.(planId, orderId, clock(ports));
  try {
    return await startRun(ports, { planId, trigger: 'resync', orderId });
  } catch (error) {
    if (!(error instanceof RunInProgressError)) throw error;
    if (!(await ports.plans.requestResync(planId, orderId))) throw new PlanNotFoundError(planId);
    log(ports).info('resync requested while a run holds the plan', { planId, orderId, runId: error.runningRunId });
    return { planId, orderId, trigger: 'resync', status: 'requested', afterRunId: error.runningRunId };
  }
}

/** A page of the plan's orders in a state (parked, open, dismissed, all), each with its reason, since when and attempts. */
export async function listOrders(ports: ControlPorts, planId: string, state: OrderState, request: PageRequest): Promise<Page<OrderSummary>> {
  await requirePlanExists(ports, planId);
  if (!ports.orderRecords.list) return { items: [] };
  return ports.orderRecords.list(planId, state, request);
}

/**
 * Sets a parked order aside: no run retries it until a resync brings it back. Who (the caller
 * identity of the request) and when are kept on its record. Dismissing twice answers the
 * record as it is; an order that is not parked is ORDER_NOT_PARKED (409).
 */
export async function dismissOrder(ports: ControlPorts, planId: string, orderId: string, caller: string): Promise<Record<string, unknown>> {
  planIdOf(planId);
  orderIdOf(planId, orderId);
  await requirePlan(ports, planId);
  if (!ports.orderRecords.dismiss) throw new OrderRecordNotFoundError(planId, orderId);
  const outcome = await ports.orderRecords.dismiss(planId, orderId, caller, clock(ports));
  if (outcome.result === 'missing') throw new OrderRecordNotFoundError(planId, orderId);
  if (outcome.result === 'not-parked') throw new OrderNotParkedError(planId, orderId);
  log(ports).info('order dismissed', { planId, orderId, by: caller });
  return outcome.record;
}

/**
 * A run as the API shows it: the fields of `RunRecord` and no more. The run item also carries
 * the exchange's bookkeeping (queued and done counts, the collector's feed cursor, the
 * finalize claim, a string set of products that would answer as `{}`), which is no contract.
 */
export function runView(run: RunRecord): RunRecord {
  return {
    planId: run.planId,
    runId: run.runId,
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt,
    ...(run.endedAt ? { endedAt: run.endedAt } : {}),
    ...(run.slot ? { slot: run.slot } : {}),
    ...(run.orderId ? { orderId: run.orderId } : {}),
    counters: run.counters,
    errors: run.errors,
    errorCount: run.errorCount,
    ...(run.summary !== undefined ? { summary: run.summary } : {}),
  };
}

/** One order's outcome in a run as the API shows it (`outcome: "queued"` until its worker is done). */
export function runOrderView(entry: RunOrderEntry): RunOrderEntry {
  const detail = entry.detail && Object.keys(entry.detail).length ? entry.detail : undefined;
  return {
    orderId: entry.orderId,
    outcome: entry.outcome,
    at: entry.at,
    ...(entry.error ? { error: { code: entry.error.code, message: entry.error.message } } : {}),
    ...(detail ? { detail } : {}),
  };
}

/** PLAN_NOT_FOUND without the plan; STORE_CORRUPT_ITEM (409) for a stored plan that no longer reads. */
async function requirePlan(ports: ControlPorts, planId: string): Promise<void> {
  if (!(await ports.plans.get(planIdOf(planId)))) throw new PlanNotFoundError(planId);
}

/**
 * PLAN_NOT_FOUND without the plan, the plan itself not read: for what shows what the plan did
 * (its runs, its orders), which an operator must see even of a plan that no longer reads.
 */
async function requirePlanExists(ports: ControlPorts, planId: string): Promise<void> {
  if ((await ports.plans.storedVersion(planIdOf(planId))) === null) throw new PlanNotFoundError(planId);
}

export async function listRuns(ports: ControlPorts, planId: string, request: PageRequest): Promise<Page<RunRecord>> {
  await requirePlanExists(ports, planId);
  const page = await ports.runs.list(planId, request);
  return { ...page, items: page.items.map(runView) };
}

/** A run with its counters, problems and journal, plus a page of its per-order outcomes. */
export async function getRun(ports: ControlPorts, planId: string, runId: string, orders: PageRequest = {}): Promise<RunRecord & { orders: Page<RunOrderEntry> }> {
  planIdOf(planId);
  if (!isRunId(runId)) throw new RunNotFoundError(planId, shownId(runId));
  const run = await ports.runs.get(planId, runId);
  if (!run) throw new RunNotFoundError(planId, runId);
  const page = await ports.runs.listOrders(planId, runId, orders);
  return { ...runView(run), orders: { ...page, items: page.items.map(runOrderView) } };
}

export async function getOrderRecord(ports: ControlPorts, planId: string, orderId: string): Promise<Record<string, unknown>> {
  planIdOf(planId);
  orderIdOf(planId, orderId);
  await requirePlanExists(ports, planId);
  const record = await ports.orderRecords.get(planId, orderId);
  if (!record) throw new OrderRecordNotFoundError(planId, orderId);
  return record;
}
