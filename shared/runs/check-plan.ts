/**
 * The plan check: checks the plan against the deployment's access rules (`#plans/access`:
 * its own secrets, https, allowed hosts) before anything is read or sent, reads the plan's
 * secrets, logs in to Goodwix and opens the plan's catalog,
 * and resolves every 1C reference of the plan (each must exist and not be marked for deletion).
 * Answers every problem by name — "Склад 5a1f…: not found in 1C" — rather than the first.
 * Credentials refused by either system are read once more past the secrets cache, and the login
 * repeated when they changed: a password rotated a minute ago does not fail the check.
 *
 * It talks to the two systems through the small ports below; `connectors.ts` adapts the real
 * clients (`#onec/client`, `#goodwix/client`) to them.
 */
import { clock } from '#platform/clock';
import { AppError, isRetryable } from '#platform/errors';
import { planAccessIssues, secretScope, type PlanAccess } from '#plans/access';
import { PLAN_ONEC_REFS, type Plan, type PlanOneCRef } from '#plans/plan';
import type { CatalogChoice } from '#onec/trade';
import { SecretError, getGoodwixPassword, getOneCCredentials, type OneCCredentials, type ReadOptions, type SecretsProvider } from '#secrets/secrets';
import type { RunProblem } from '#store/runs';
import { mapLimited } from '#platform/concurrency';

export type OneCCatalogName = PlanOneCRef['catalog'];

export interface OneCCatalogEntry {
  /** The item's Description, when 1C gave one */
  readonly name: string | null;
  readonly deletionMark: boolean;
}

export interface OneCCatalogs {
  /** The catalog item with this Ref_Key, or null when 1C has none. Throws on auth, network or server problems. */
  getRef(catalog: OneCCatalogName, ref: string): Promise<OneCCatalogEntry | null>;
  /**
   * Items of the catalog by exact name (`name`) or by a piece of it (`contains`), as its choice
   * list shows them, at most `limit` + 1 (the extra one tells that the list was cut).
   */
  choices?(catalog: OneCCatalogName, query: { name?: string; contains?: string; limit: number }): Promise<CatalogChoice[]>;
  /** Problems of the base's `$metadata` against the exchange's field map, one line each (empty: fine). */
  checkFieldMapping?(): Promise<string[]>;
  /** Frees connections when the check is over. */
  close?(): void;
}

export interface GoodwixAccess {
  /** Logs in with the plan's e-mail and password; throws when refused or unreachable. */
  login(): Promise<void>;
  /** Whether the plan's catalog is there for this supplier (false: not found). */
  catalogExists(): Promise<boolean>;
}

/** Builds the two systems' ports for a plan and its credentials. */
export interface PlanConnectors {
  oneC(plan: Plan, credentials: OneCCredentials): OneCCatalogs;
  goodwix(plan: Plan, password: string): GoodwixAccess;
}

export interface CheckPorts {
  readonly secrets: SecretsProvider;
  /** The deployment's rules for what plans may reach */
  readonly access: PlanAccess;
  readonly connectors: PlanConnectors;
  readonly now?: () => Date;
}

export interface PlanCheckItem {
  /** What was checked: "Goodwix login", "Склад 5a1f…" */
  readonly subject: string;
  readonly ok: boolean;
  /** "ok (Основной склад)", "not found in 1C", … */
  readonly message: string;
}

export interface PlanCheckResult {
  readonly planId: string;
  readonly ok: boolean;
  readonly checkedAt: string;
  readonly items: PlanCheckItem[];
  /** The failed items as run problems, in check order */
  readonly problems: RunProblem[];
  /** References given by name that this check resolved to one item (stored on the plan by the API's check) */
  readonly resolved: ResolvedRef[];
}

export interface ResolvedRef {
  readonly field: PlanOneCRef['field'];
  readonly name: string;
  readonly ref: string;
}

/** A failure's words for people: the error's message, without anything the client did not put there. */
function reason(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** "Secret x: not found" → "not found" (the subject already names the secret). */
function secretReason(error: unknown): string {
  return error instanceof SecretError ? error.message.replace(/^Secret \S+: /, '') : reason(error);
}

function isAuthFailure(error: unknown): boolean {
  return error instanceof AppError && /AUTH/.test(error.code);
}

function errorCode(error: unknown, fallback: string): string {
  return error instanceof AppError ? error.code : fallback;
}

export interface CheckOptions {
  /**
   * Also check 1C's `$metadata` against the field map (default true). A real base's
   * `$metadata` is ~17 MB and takes ~20 s: the API's synchronous check leaves it to runs.
   */
  readonly fieldMapping?: boolean;
  /**
   * Resolve references given by name (default false). Only the API's check does: a run never
   * looks a name up, it uses the Ref_Key a check stored, so a name that matches another item
   * tomorrow cannot change what a run writes.
   */
  readonly resolveNames?: boolean;
}

/** How many candidates a "not found" or "ambiguous" answer lists. */
const CANDIDATES_SHOWN = 5;

/** Names as 1C compares them in queries: case and surrounding spaces do not count. */
function sameName(a: string, b: string): boolean {
  return a.trim().toLocaleLowerCase('ru') === b.trim().toLocaleLowerCase('ru');
}

function describeChoice(c: CatalogChoice): string {
  return `«${c.name}» ${c.ref}${c.code ? ` code ${c.code}` : ''}${c.deletionMark ? ' (marked for deletion)' : ''}`;
}

export async function checkPlan(ports: CheckPorts, plan: Plan, options: CheckOptions = {}): Promise<PlanCheckResult> {
  const outcomes: { rank: number; item: PlanCheckItem; problem?: RunProblem }[] = [];
  const fail: Fail = (rank, subject, code, message) =>
    outcomes.push({ rank, item: { subject, ok: false, message }, problem: { code, subject, message: `${subject}: ${message}` } });
  const pass: Pass = (rank, subject, message = 'ok') => outcomes.push({ rank, item: { subject, ok: true, message } });

  const resolved: ResolvedRef[] = [];
  const refused = planAccessIssues(plan, ports.access);
  // A plan breaking the rules is not connected to at all: no secret is read or sent.
  if (refused.length) {
    for (const [i, issue] of refused.entries()) fail(i / 100, issue.slice(0, issue.indexOf(':')), 'PLAN_ACCESS_DENIED', issue.slice(issue.indexOf(':') + 2));
  } else await Promise.all([checkGoodwix(ports, plan, pass, fail), checkOneC(ports, plan, pass, fail, options.fieldMapping ?? true, options.resolveNames ? resolved : null)]);

  // A stable order for people and tests: Goodwix, then 1C login, then the references in plan order.
  outcomes.sort((a, b) => a.rank - b.rank);
  const problems = outcomes.flatMap((o) => (o.problem ? [o.problem] : []));
  return {
    planId: plan.id,
    ok: problems.length === 0,
    checkedAt: clock(ports).toISOString(),
    items: outcomes.map((o) => o.item),
    problems,
    resolved,
  };
}

type Pass = (rank: number, subject: string, message?: string) => void;
type Fail = (rank: number, subject: string, code: string, message: string) => void;

async function checkGoodwix(ports: CheckPorts, plan: Plan, pass: Pass, fail: Fail): Promise<void> {
  const scope = secretScope(ports.access, plan.id);
  const read = (options: ReadOptions = {}) => getGoodwixPassword(ports.secrets, plan.goodwix.passwordSecret, scope, options);
  let password: string;
  try {
    password = await read();
  } catch (error) {
    fail(0, `Goodwix password secret ${plan.goodwix.passwordSecret}`, errorCode(error, 'SECRET_UNAVAILABLE'), secretReason(error));
    return;
  }
  let goodwix = ports.connectors.goodwix(plan, password);
  const login = `Goodwix login as ${plan.goodwix.email}`;
  try {
    try {
      await goodwix.login();
    } catch (error) {
      const fresh = isAuthFailure(error) ? await read({ fresh: true }).catch(() => password) : password;
      if (fresh === password) throw error;
      goodwix = ports.connectors.goodwix(plan, fresh);
      await goodwix.login();
    }
    pass(1, login);
  } catch (error) {
    fail(1, login, errorCode(error, 'GOODWIX_UNAVAILABLE'), isAuthFailure(error) ? 'refused: wrong e-mail or password' : reason(error));
    return;
  }
  const catalog = `Goodwix catalog ${plan.goodwix.catalogId}`;
  try {
    if (await goodwix.catalogExists()) pass(2, catalog);
    else fail(2, catalog, 'GOODWIX_NOT_FOUND', 'not found for this supplier');
  } catch (error) {
    fail(2, catalog, errorCode(error, 'GOODWIX_UNAVAILABLE'), reason(error));
  }
}

/** `resolved`: where resolved names go, or null when names are not to be resolved (a run's check). */
async function checkOneC(ports: CheckPorts, plan: Plan, pass: Pass, fail: Fail, fieldMapping: boolean, resolved: ResolvedRef[] | null): Promise<void> {
  const scope = secretScope(ports.access, plan.id);
  const read = (options: ReadOptions = {}) => getOneCCredentials(ports.secrets, plan.onec.credentialsSecret, scope, options);
  let credentials: OneCCredentials;
  try {
    credentials = await read();
  } catch (error) {
    fail(10, `1C credentials secret ${plan.onec.credentialsSecret}`, errorCode(error, 'SECRET_UNAVAILABLE'), secretReason(error));
    return;
  }
  let oneC = ports.connectors.oneC(plan, credentials);
  const refs = PLAN_ONEC_REFS.map((r, i) => ({ ...r, setting: plan.orders[r.field], rank: 20 + i }));
  type Outcome = { kind: 'ok' | 'auth' | 'failed' } | { kind: 'unreachable'; error: unknown };
  /** Checks one reference; the first one's "1C does not answer" is reported once, for the login. */
  const resolve = async (r: (typeof refs)[number], first = false): Promise<Outcome> => {
    const setting = r.setting;
    const subject = typeof setting === 'string' ? `${r.label} ${setting}` : `${r.label} «${setting.name}»`;
    try {
      if (typeof setting !== 'string' && setting.ref === undefined) return await resolveName(r, setting.name, subject);
      const ref = typeof setting === 'string' ? setting : setting.ref!;
      const entry = await oneC.getRef(r.catalog, ref);
      if (!entry) {
        fail(r.rank, subject, 'ONEC_REF_NOT_FOUND', typeof setting === 'string' ? 'not found in 1C' : `its Ref_Key ${ref} is not in 1C`);
        return { kind: 'failed' };
      }
      const named = entry.name ? ` (${entry.name})` : '';
      if (entry.deletionMark) {
        fail(r.rank, subject, 'ONEC_REF_DELETED', `marked for deletion in 1C${named}`);
        return { kind: 'failed' };
      }
      if (typeof setting !== 'string' && entry.name !== null && !sameName(entry.name, setting.name)) {
        // A name edited next to a stored Ref_Key, or the item renamed in 1C: which one is meant is not ours to guess.
        fail(r.rank, subject, 'ONEC_REF_NAME_MISMATCH', `its Ref_Key ${ref} is «${entry.name}» in 1C: correct the name, or leave out "ref" to resolve the name again`);
        return { kind: 'failed' };
      }
      pass(r.rank, subject, typeof setting === 'string' ? `ok${named}` : `ok (${ref})`);
      return { kind: 'ok' };
    } catch (error) {
      if (isAuthFailure(error)) return { kind: 'auth' };
      // A refused certificate is the whole publication's, like an outage: said once, on the login.
      if (first && (isRetryable(error) || errorCode(error, '') === 'ONEC_CERTIFICATE')) return { kind: 'unreachable', error };
      fail(r.rank, subject, errorCode(error, 'ONEC_UNAVAILABLE'), reason(error));
      return { kind: 'failed' };
    }
  };
  /** A reference given by name only: resolved by the API's check, refused by a run's. */
  const resolveName = async (r: (typeof refs)[number], name: string, subject: string): Promise<Outcome> => {
    if (resolved === null) {
      fail(r.rank, subject, 'ONEC_REF_UNRESOLVED', 'not resolved to a Ref_Key yet: run the plan check (POST /plans/{id}/check)');
      return { kind: 'failed' };
    }
    if (!oneC.choices) throw new Error('this 1C connection cannot look names up');
    const exact = await oneC.choices(r.catalog, { name, limit: CANDIDATES_SHOWN });
    const live = exact.filter((c) => !c.deletionMark);
    if (live.length === 1) {
      // 1C's own spelling is stored: 1C compares names without regard to case, people may write them so.
      resolved.push({ field: r.field, name: live[0]!.name || name, ref: live[0]!.ref });
      pass(r.rank, subject, `ok (${live[0]!.ref})`);
      return { kind: 'ok' };
    }
    if (live.length > 1) {
      const more = exact.length > CANDIDATES_SHOWN ? ', …' : '';
      fail(r.rank, subject, 'ONEC_REF_AMBIGUOUS', `${live.length}${more ? '+' : ''} items in 1C have this name: ${live.slice(0, CANDIDATES_SHOWN).map(describeChoice).join('; ')}${more}: give the one meant by its Ref_Key ("ref")`);
      return { kind: 'failed' };
    }
    // Not there by its exact name: what the choice list would offer for the name's first word.
    const word = name.split(/\s+/).find((w) => w.length >= 3) ?? name;
    const similar = (await oneC.choices(r.catalog, { contains: word, limit: CANDIDATES_SHOWN })).slice(0, CANDIDATES_SHOWN);
    const deleted = exact.length ? ` (only items marked for deletion have it: ${exact.map(describeChoice).join('; ')})` : '';
    fail(r.rank, subject, 'ONEC_REF_NOT_FOUND', `not found in 1C${deleted}${similar.length ? `; similar: ${similar.map(describeChoice).join('; ')}` : ''}`);
    return { kind: 'failed' };
  };
  const loginSubject = `1C login as ${credentials.login}`;
  try {
    // The first call alone: it pays 1C's cold start and tells whether 1C answers and lets us in.
    const [first, ...rest] = refs;
    let firstOutcome: Outcome = first ? await resolve(first, true) : { kind: 'ok' };
    if (firstOutcome.kind === 'auth' && first) {
      // Refused: the secret may have rotated since it was cached.
      const fresh = await read({ fresh: true }).catch(() => credentials);
      if (fresh.login !== credentials.login || fresh.password !== credentials.password) {
        oneC.close?.();
        credentials = fresh;
        oneC = ports.connectors.oneC(plan, credentials);
        firstOutcome = await resolve(first, true);
      }
    }
    if (firstOutcome.kind === 'auth') {
      fail(11, loginSubject, 'ONEC_AUTH', 'refused: wrong login or password, or no rights to the OData publication');
      return;
    }
    if (firstOutcome.kind === 'unreachable') {
      const code = errorCode(firstOutcome.error, 'ONEC_UNAVAILABLE');
      fail(11, loginSubject, code, code === 'ONEC_CERTIFICATE' ? reason(firstOutcome.error) : `1C at ${plan.onec.baseUrl} did not answer: ${reason(firstOutcome.error)}`);
      return;
    }
    const outcomes = await mapLimited(rest, plan.onec.maxConcurrency, (r) => resolve(r));
    if (outcomes.some((o) => o.kind === 'auth')) fail(11, loginSubject, 'ONEC_AUTH', "refused for some catalogs: check the user's rights");
    else pass(11, loginSubject);
    if (fieldMapping && oneC.checkFieldMapping) {
      const subject = '1C field map';
      try {
        const mapping = await oneC.checkFieldMapping();
        if (mapping.length === 0) pass(30, subject);
        else for (const [i, line] of mapping.entries()) fail(30 + i / 1000, subject, 'ONEC_FIELD_MAPPING', line);
      } catch (error) {
        fail(30, subject, errorCode(error, 'ONEC_UNAVAILABLE'), reason(error));
      }
    }
  } finally {
    oneC.close?.();
  }
}
