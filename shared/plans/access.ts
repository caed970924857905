/**
 * What a plan may reach, by deployment: which secrets it may name and which hosts it may send
 * them to. Without these rules any caller of the control API could save a plan naming another
 * plan's secret and a host of its choice, and the plan check would send that secret there.
 *
 * * Secrets: a plan's references lie below `<prefix><planId>/` (`#secrets/secrets` refuses any
 *   other at read, too).
 * * Transport: both base URLs are https; plain http only to a loopback address (a sandbox or a
 *   tunnel on the same machine), unless the deployment allows it everywhere (the local runtime,
 *   for a 1C base on the office network). Neither carries credentials (the schema's rule, for a
 *   plan that did not go through it).
 * * Hosts: when the deployment lists allowed hosts (`ALLOWED_HOSTS`, from `-c allowedHosts=…`),
 *   no other host is saved or connected to. `*.example.com` allows every sub-domain.
 *
 * Checked when a plan is saved (issues naming the field) and again before connecting.
 */
import { isInScope, planSecretsRoot, type SecretScope } from '#secrets/secrets';
import { PlanAccessError } from './errors.ts';
import { carriesCredentials, URL_CREDENTIALS_RULE, type Plan } from './plan.ts';

export interface PlanAccess {
  /** The deployment's secrets name prefix, ending in `/` (`SECRETS_PREFIX`) */
  readonly secretsPrefix: string;
  /** Plain http to any host (local runtime only); otherwise to loopback addresses only */
  readonly allowPlainHttp: boolean;
  /** Host names (or `*.domain`) plans may connect to; null: any */
  readonly allowedHosts: readonly string[] | null;
}

/** The part of a plan the rules look at. */
export type PlanConnections = Pick<Plan, 'id'> & { goodwix: Pick<Plan['goodwix'], 'baseUrl' | 'passwordSecret'>; onec: Pick<Plan['onec'], 'baseUrl' | 'credentialsSecret'> };

export function secretScope(access: Pick<PlanAccess, 'secretsPrefix'>, planId: string): SecretScope {
  return { prefix: access.secretsPrefix, planId };
}

/** `localhost`, 127.0.0.0/8 and ::1, as `URL.hostname` writes them. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Whether `hostname` is one of `allowed` (exact, or below a `*.domain` entry), case-insensitively. */
export function hostAllowed(hostname: string, allowed: readonly string[]): boolean {
  const host = hostname.toLowerCase();
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern;
  });
}

/** Every way the plan breaks the deployment's rules, one line each, starting with the field path. */
export function planAccessIssues(plan: PlanConnections, access: PlanAccess): string[] {
  const issues: string[] = [];
  const scope = secretScope(access, plan.id);
  const secrets = [
    ['plan.goodwix.passwordSecret', plan.goodwix.passwordSecret],
    ['plan.onec.credentialsSecret', plan.onec.credentialsSecret],
  ] as const;
  for (const [field, ref] of secrets) {
    if (!isInScope(ref, scope)) issues.push(`${field}: must name one of this plan's secrets, below ${planSecretsRoot(scope)} (not ${ref})`);
  }
  const urls = [
    ['plan.goodwix.baseUrl', plan.goodwix.baseUrl],
    ['plan.onec.baseUrl', plan.onec.baseUrl],
  ] as const;
  for (const [field, raw] of urls) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      issues.push(`${field}: not a URL`);
      continue;
    }
    if (carriesCredentials(raw)) issues.push(`${field}: ${URL_CREDENTIALS_RULE}`);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (access.allowPlainHttp || isLoopback(url.hostname)))) {
      issues.push(`${field}: expected an https URL (plain http only to a loopback address), not ${url.protocol}//${url.host}`);
    }
    if (access.allowedHosts && !hostAllowed(url.hostname, access.allowedHosts)) {
      issues.push(`${field}: host ${url.hostname} is not among the deployment's allowed hosts (${access.allowedHosts.join(', ')})`);
    }
  }
  return issues;
}

/** Throws `PlanAccessError` naming every issue: the check before connecting. */
export function assertPlanAccess(plan: PlanConnections, access: PlanAccess): void {
  const issues = planAccessIssues(plan, access);
  if (issues.length) throw new PlanAccessError(plan.id, issues);
}

/** The deployment's access rules from a function's configuration (`#platform/env`'s access variables). */
export function planAccessOf(config: { SECRETS_PREFIX: string; ALLOWED_HOSTS?: string[] | undefined; ALLOW_PLAIN_HTTP: boolean }): PlanAccess {
  return { secretsPrefix: config.SECRETS_PREFIX, allowPlainHttp: config.ALLOW_PLAIN_HTTP, allowedHosts: config.ALLOWED_HOSTS ?? null };
}
