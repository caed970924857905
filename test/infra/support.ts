/**
 * Builds the exchange app for infra tests, with bundling skipped (`aws:cdk:bundling-stacks: []`)
 * and no AWS environment, and small helpers to read its templates.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExchangeApp, type ExchangeApp } from '../../infra/exchange-app.ts';

export interface Built extends ExchangeApp {
  readonly dataTemplate: Template;
  readonly serviceTemplate: Template;
}

const outdirs: string[] = [];
process.once('exit', () => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh cloud-assembly folder, removed when the test process exits. */
export function tempOutdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw1c-cdk-'));
  outdirs.push(dir);
  return dir;
}

/** The app, not yet synthesised (bundling skipped, no environment from the machine). */
export function buildApp(context: Record<string, unknown> = {}, options: { nag?: boolean } = {}): ExchangeApp {
  return buildExchangeApp(
    { context: { 'aws:cdk:bundling-stacks': [], ...context }, outdir: tempOutdir() },
    { nag: options.nag ?? false, env: {} },
  );
}

/** The app without cdk-nag, synthesised, with both templates. */
export function buildForTest(context: Record<string, unknown> = {}): Built {
  const built = buildApp(context);
  return { ...built, dataTemplate: Template.fromStack(built.data), serviceTemplate: Template.fromStack(built.service) };
}

export function logicalId(construct: IConstruct): string {
  const stack = construct.node.scopes.find((s): s is Stack => 'templateOptions' in s) as Stack;
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.getLogicalId(element);
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
  readonly Sid?: string;
}

/** Every statement of the inline policies attached to the role with this logical id. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const out: Statement[] = [];
  for (const policy of Object.values(policies)) {
    const roles = (policy['Properties']['Roles'] ?? []) as { Ref?: string }[];
    if (!roles.some((r) => r.Ref === roleLogicalId)) continue;
    out.push(...(policy['Properties']['PolicyDocument']['Statement'] as Statement[]));
  }
  return out;
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** Allowed actions on resources whose rendering mentions `needle` (a logical id, an index name, an ARN part). */
export function allowedOn(statements: readonly Statement[], needle: string): Set<string> {
  const out = new Set<string>();
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    if (resourcesOf(s).some((r) => JSON.stringify(r).includes(needle))) for (const a of actionsOf(s)) out.add(a);
  }
  return out;
}

export function allAllowed(statements: readonly Statement[]): Set<string> {
  return new Set(statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf));
}
